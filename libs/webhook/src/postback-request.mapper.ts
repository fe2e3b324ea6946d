import type { IncomingMessage } from 'node:http';

import type { PostbackRequest } from './postback.types';

/** The parts of an HTTP request a postback needs; `rawBody` is the exact bytes Nest's body parsers kept. */
export function toPostbackRequest(req: IncomingMessage & { rawBody?: Buffer }, rawBody = req.rawBody): PostbackRequest {
  const url = req.url ?? '';
  const at = url.indexOf('?');
  return {
    authorization: req.headers.authorization,
    contentType: req.headers['content-type'],
    method: req.method ?? 'GET',
    rawBody,
    rawQuery: at < 0 ? '' : url.slice(at + 1),
  };
}
