import { Caller, mayObserve } from '@app/auth';

import { eventScopeOf } from './caller-scope';

/** The SQL scope must never hide an event mayObserve() would show: it is the filter's superset. */
describe('eventScopeOf', () => {
  const callers: Caller[] = [
    { keyName: 'lms', kind: 'api_key', role: 'admin' },
    { contexts: ['c1'], kind: 'user', role: 'admin', userId: 'a' },
    { contexts: ['c1'], kind: 'user', role: 'student', userId: 's' },
    { contexts: ['c1', 'c2'], kind: 'user', role: 'teacher', userId: 't' },
    { contexts: [], kind: 'user', role: 'teacher', userId: 't0' },
    { kind: 'user', role: 'student', userId: 'u' },
    { kind: 'user', role: 'teacher', userId: 'v' },
  ];
  const learners = [null, 's', 't', 'u', 'v', 'x'];
  const contexts = [null, 'c1', 'c2', 'c3'];

  const matches = (caller: Caller, learnerId: string | null, contextId: string | null) => {
    const scope = eventScopeOf(caller);
    if (!scope) return true;
    return (
      (learnerId !== null && !!scope.learnerIds?.includes(learnerId)) ||
      (contextId !== null && !!scope.contextIds?.includes(contextId))
    );
  };

  it.each(callers.map((caller) => [caller.kind === 'api_key' ? 'api key' : `${caller.role} ${caller.userId}`, caller]))(
    '%s: every observable event is in the scope',
    (_, caller) => {
      for (const learnerId of learners) {
        for (const contextId of contexts) {
          if (mayObserve(caller as Caller, { contextId, learnerId })) {
            expect({ contextId, learnerId, matched: matches(caller as Caller, learnerId, contextId) }).toEqual({
              contextId,
              learnerId,
              matched: true,
            });
          }
        }
      }
    },
  );

  it('narrows scoped students and teachers to their own events and their courses', () => {
    expect(eventScopeOf(callers[2])).toEqual({ contextIds: ['c1'], learnerIds: ['s'] });
    expect(eventScopeOf(callers[3])).toEqual({ contextIds: ['c1', 'c2'], learnerIds: ['t'] });
    expect(eventScopeOf(callers[0])).toBeUndefined();
  });
});
