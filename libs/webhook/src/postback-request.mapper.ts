import type { IncomingMessage } from 'node:http';

import type { PostbackRequest } from './postback.types';

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

/** The parts of an HTTP request a postback needs; `rawBody` is the exact bytes Nest's body parsers kept. */
export function toPostbackRequest(req: IncomingMessage & { rawBody?: Buffer }, rawBody = req.rawBody): PostbackRequest {
  const url = req.url ?? '';
  const at = url.indexOf('?');
  return {
    authorization: req.headers.authorization,
    clientAddress: clientAddress(req),
    contentType: req.headers['content-type'],
    method: req.method ?? 'GET',
    rawBody,
    rawQuery: at < 0 ? '' : url.slice(at + 1),
  };
}

/**
 * The caller's address under the app's `trust proxy: loopback` rule (configure-app), also on the fast path,
 * which runs before Express computes `req.ip`: a loopback peer (a local proxy or tunnel agent) may name the
 * client in X-Forwarded-For; the nearest address that is not loopback is the client.
 */
export function clientAddress(req: IncomingMessage): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  const forwarded = req.headers['x-forwarded-for'];
  if (!LOOPBACK.test(peer) || typeof forwarded !== 'string' || !forwarded) return peer;
  const hops = forwarded.split(',').map((hop) => hop.trim());
  for (let i = hops.length - 1; i >= 0; i--) if (hops[i] && !LOOPBACK.test(hops[i])) return hops[i];
  return peer;
}
