import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

import { FaultRegistry } from './fault.registry';

/** Answers a request the broken way its fault says, or holds it (slow) before the real handler runs. */
@Injectable()
export class FaultInjectionMiddleware implements NestMiddleware {
  constructor(private readonly faults: FaultRegistry) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const path = req.originalUrl.split('?')[0];
    if (path.startsWith('/_sandbox/')) return next();
    const fault = this.faults.take(path);
    if (!fault) return next();
    const message = `Sandbox fault "${fault.mode}" on ${fault.prefix}`;
    switch (fault.mode) {
      case 'slow':
        // Unref'd: a held request must not keep a test process alive after the sandbox closes.
        setTimeout(next, fault.delayMs).unref();
        return;
      case 'status_500':
        res.status(500).json({ error: message, success: 0 });
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'malformed_json':
        res.status(200).type('application/json').send('{"success": 1, "id": "half-an-ans');
        return;
      case 'malformed_xml':
        res.status(200).type('text/xml').send('<?xml version="1.0"?><rsp stat="ok"><registration id="x"');
        return;
      case 'wrong_content_type':
        res.status(200).type('text/html').send(`<!doctype html><title>Maintenance</title><p>${message}</p>`);
        return;
      case 'success_0':
        res.status(200).json({ error: message, success: 0 });
        return;
    }
  }
}
