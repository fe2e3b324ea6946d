import { Caller } from '@app/auth';

import type { EventScope } from '../repositories/event.repository';

/**
 * The SQL side of `mayObserve()`: a superset of the events the caller may see, so the database skips most of the
 * rest; every event read is still checked with `mayObserve()` itself. A student or teacher with a scoped token: their
 * own events and those of the token's courses. API keys, admins and unscoped tokens (outside production): everything.
 */
export function eventScopeOf(caller: Caller): EventScope | undefined {
  if (caller.kind === 'api_key' || caller.role === 'admin' || caller.contexts === undefined) return undefined;
  return { contextIds: [...caller.contexts], learnerIds: [caller.userId] };
}
