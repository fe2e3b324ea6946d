import { Injectable } from '@nestjs/common';

/** How many requests each method and path received (the query string left out), since the last reset. */
@Injectable()
export class RequestCounter {
  private readonly counts = new Map<string, number>();

  record(method: string, path: string): void {
    const key = `${method} ${path}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Counts under `prefix` (every path when absent), by "METHOD /path". */
  list(prefix = ''): Record<string, number> {
    const matching: Record<string, number> = {};
    for (const [key, count] of this.counts) {
      if (key.slice(key.indexOf(' ') + 1).startsWith(prefix)) matching[key] = count;
    }
    return matching;
  }

  reset(): void {
    this.counts.clear();
  }
}
