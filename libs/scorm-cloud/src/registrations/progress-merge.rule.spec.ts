import { ProgressSlot, planProgress, registrationChanges, settleResults, slotKey, wins } from './progress-merge.rule';
import type { RegistrationProgressUpdate } from './registration-progress.types';

const T = (second: number) => new Date(Date.UTC(2026, 10, 23, 10, 0, second));
const t = (second: number) => T(second).toISOString();

const update = (fields: Partial<RegistrationProgressUpdate> = {}): RegistrationProgressUpdate => ({
  completedDate: null,
  completion: 'INCOMPLETE',
  firstAccessDate: null,
  instance: 0,
  lastAccessDate: null,
  registrationId: 'reg-1',
  score: null,
  source: 'postback',
  success: 'UNKNOWN',
  totalSeconds: null,
  updated: null,
  ...fields,
});
const slot = (fields: Partial<ProgressSlot> = {}): ProgressSlot => ({
  instance: 0,
  registrationId: 'reg-1',
  source: 'postback',
  updated: null,
  values: ['INCOMPLETE', 'UNKNOWN', null, null, null, null, null],
  writtenAt: t(10),
  ...fields,
});
const decide = (u: RegistrationProgressUpdate, s: ProgressSlot, observed = t(30)) => {
  const values = [u.completion, u.success, u.score, u.totalSeconds, null, null, null];
  return wins(u, values, u.updated ? u.updated.toISOString() : null, observed, s);
};

/** The projection's ordering rule without a database (the service's spec runs it against SQLite and PostgreSQL). */
describe('progress merge rule', () => {
  it('1: an API read replaces postback-only data received before it began, whatever its time', () => {
    const forged = slot({ updated: t(59), writtenAt: t(10) });
    expect(decide(update({ observedAt: T(20), score: 35, source: 'api', updated: T(5) }), forged, t(20))).toBe(true);
    // ...but not a postback that arrived while the read was under way.
    expect(decide(update({ observedAt: T(5), score: 35, source: 'api', updated: T(5) }), forged, t(5))).toBe(false);
  });

  it('2 and 3: timed updates order by their own time; a timed update beats an untimed row', () => {
    expect(decide(update({ score: 1, updated: T(20) }), slot({ updated: t(10) }))).toBe(true);
    expect(decide(update({ score: 1, updated: T(10) }), slot({ updated: t(10) }))).toBe(false);
    expect(decide(update({ score: 1, updated: T(5) }), slot({ updated: t(10) }))).toBe(false);
    expect(decide(update({ score: 1, updated: T(1) }), slot({ updated: null }))).toBe(true);
  });

  it('4: an untimed postback beats what was written before it arrived, never what was written after', () => {
    const apiRow = slot({ source: 'api', updated: t(10), writtenAt: t(20) });
    expect(decide(update({ completion: 'COMPLETED', score: 90 }), apiRow, t(25))).toBe(true);
    expect(decide(update({ completion: 'COMPLETED', score: 90 }), apiRow, t(15))).toBe(false);
    // Same arrival as the row's: the later-processed postback wins.
    expect(decide(update({ completion: 'COMPLETED', score: 90 }), slot({ writtenAt: t(25) }), t(25))).toBe(true);
    // Nothing changes: not applied.
    expect(decide(update(), slot(), t(25))).toBe(false);
  });

  it('4: an untimed API read replaces what was written before it began, not a postback of the same moment', () => {
    const read = update({ observedAt: T(25), score: 10, source: 'api' });
    expect(decide(read, slot({ source: 'api', writtenAt: t(20) }), t(25))).toBe(true);
    expect(decide(read, slot({ source: 'api', writtenAt: t(25) }), t(25))).toBe(false);
  });

  it('plans a batch in arrival order, reporting unknown registrations and what each slot held before', () => {
    const slots = new Map([[slotKey('reg-1', 0), slot({ updated: t(10) })]]);
    const updates = [
      update({ score: 50, updated: T(20) }),
      update({ score: 40, updated: T(15) }),
      update({ registrationId: 'nobody', updated: T(20) }),
      update({ instance: 1, observedAt: T(21), score: 5 }),
    ];
    const plan = planProgress(updates, new Set(['reg-1']), slots, t(30));
    expect(plan.results).toEqual(['applied', 'stale', 'unknown_registration', 'applied']);
    expect(plan.writes.map((w) => [w.instance, w.values[2], w.writtenAt])).toEqual([
      [0, 50, t(30)],
      // A postback row is dated by its arrival.
      [1, 5, t(21)],
    ]);
    expect(plan.previous.get(slotKey('reg-1', 0))?.updated).toBe(t(10));
    expect(plan.previous.get(slotKey('reg-1', 1))).toBeNull();

    // The database kept a row a concurrent transaction made newer: that update did not apply after all.
    settleResults(plan, new Set([slotKey('reg-1', 1)]), updates);
    expect(plan.results).toEqual(['stale', 'stale', 'unknown_registration', 'applied']);
  });

  it("derives each registration's bookkeeping: postback heard, synced as of the read's start, new instance", () => {
    const updates = [
      update({ instance: 2, updated: T(1) }),
      update({ observedAt: T(20), source: 'api', updated: T(2) }),
    ];
    const changes = registrationChanges(updates, ['applied', 'stale'], new Map([['reg-1', 0]]), t(30));
    expect(changes.get('reg-1')).toEqual({ instance: 2, postback: true, source: 'postback', synced: t(20) });
  });
});
