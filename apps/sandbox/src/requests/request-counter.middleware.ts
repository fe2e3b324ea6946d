import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

import { RequestCounter } from './request-counter';

/** Counts every request as it arrives, before a fault or the handler answers it (the sandbox's own routes aside). */
@Injectable()
export class RequestCounterMiddleware implements NestMiddleware {
  constructor(private readonly counter: RequestCounter) {}

  use(req: Request, _res: Response, next: NextFunction): void {
    const path = req.originalUrl.split('?')[0];
    if (!path.startsWith('/_sandbox/')) this.counter.record(req.method, path);
    next();
  }
}
