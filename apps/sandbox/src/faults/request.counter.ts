import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request } from 'express';

/** Distinct paths remembered; past it new paths count only in the total (a long `npm start` stays bounded). */
const MAX_PATHS = 10_000;

/**
 * Every request the sandbox receives outside its own `/_sandbox/` controls, by path: tests read it to prove that a
 * refused request never reached Bazaar or SCORM Cloud.
 */
@Injectable()
export class RequestCounter {
  private total = 0;
  private readonly byPath = new Map<string, number>();

  record(path: string): void {
    this.total++;
    const count = this.byPath.get(path);
    if (count !== undefined || this.byPath.size < MAX_PATHS) this.byPath.set(path, (count ?? 0) + 1);
  }

  snapshot(): { total: number; by_path: Record<string, number> } {
    return { by_path: Object.fromEntries(this.byPath), total: this.total };
  }
}

@Injectable()
export class RequestCountingMiddleware implements NestMiddleware {
  constructor(private readonly counter: RequestCounter) {}

  use(req: Request, _res: unknown, next: NextFunction): void {
    const path = req.originalUrl.split('?')[0];
    if (!path.startsWith('/_sandbox/')) this.counter.record(`${req.method} ${path}`);
    next();
  }
}
