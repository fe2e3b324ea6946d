import type { IncomingMessage } from 'node:http';

import type { PostbackRequest } from './postback.types';

/** Express's compiled `trust proxy` test: may this hop (0 = the socket peer) name the next one? */
export type TrustProxy = (address: string, hop: number) => boolean;

/** The parts of an HTTP request a postback needs; `rawBody` is the exact bytes Nest's body parsers kept. */
export function toPostbackRequest(
  req: IncomingMessage & { rawBody?: Buffer; ip?: string },
  rawBody = req.rawBody,
  trust?: TrustProxy,
): PostbackRequest {
  const url = req.url ?? '';
  const at = url.indexOf('?');
  return {
    authorization: req.headers.authorization,
    clientAddress: req.ip ?? clientAddress(req, trust),
    contentType: req.headers['content-type'],
    method: req.method ?? 'GET',
    rawBody,
    rawQuery: at < 0 ? '' : url.slice(at + 1),
  };
}

/**
 * The caller's address as Express's `req.ip` works it out (the regular route has `req.ip` itself), for the fast
 * path, which runs before Express: walking from the socket peer back through X-Forwarded-For, the first hop
 * TRUST_PROXY does not trust is the client. Without a trust test, the peer.
 */
export function clientAddress(req: IncomingMessage, trust?: TrustProxy): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  const forwarded = req.headers['x-forwarded-for'];
  if (!trust || typeof forwarded !== 'string' || !forwarded) return peer;
  const hops = [
    peer,
    ...forwarded
      .split(',')
      .map((hop) => hop.trim())
      .reverse(),
  ];
  for (let i = 0; i < hops.length - 1; i++) if (!trust(hops[i], i)) return hops[i];
  return hops[hops.length - 1];
}
