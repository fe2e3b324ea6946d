import { Injectable } from '@nestjs/common';

export const FAULT_MODES = [
  'slow',
  'status_500',
  'reset',
  'malformed_json',
  'malformed_xml',
  'wrong_content_type',
  'success_0',
] as const;

export type FaultMode = (typeof FAULT_MODES)[number];

export interface Fault {
  prefix: string;
  mode: FaultMode;
  /** slow: how long to hold the request before the real handler answers. */
  delayMs: number;
  /** How many more requests the fault hits; undefined = until cleared. */
  remaining?: number;
  hits: number;
}

/** The faults currently set, by path prefix. In memory: tests and the demo page set and clear them. */
@Injectable()
export class FaultRegistry {
  private readonly faults = new Map<string, Fault>();

  set(fault: Omit<Fault, 'hits'>): Fault {
    const stored = { ...fault, hits: 0 };
    this.faults.set(fault.prefix, stored);
    return stored;
  }

  clear(prefix?: string): void {
    if (prefix) this.faults.delete(prefix);
    else this.faults.clear();
  }

  list(): Fault[] {
    return [...this.faults.values()];
  }

  /** The longest matching prefix wins; counting faults expire after their last hit. */
  take(path: string): Fault | undefined {
    let match: Fault | undefined;
    for (const fault of this.faults.values()) {
      if (path.startsWith(fault.prefix) && (!match || fault.prefix.length > match.prefix.length)) match = fault;
    }
    if (!match) return undefined;
    match.hits++;
    if (match.remaining !== undefined && --match.remaining <= 0) this.faults.delete(match.prefix);
    return match;
  }
}
