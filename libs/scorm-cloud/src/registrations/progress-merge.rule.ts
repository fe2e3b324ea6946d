import type { ProgressSource } from '../entities/registration.entity';
import type { ProgressApplyResult, RegistrationProgressUpdate } from './registration-progress.types';

/**
 * The ordering rule of the progress projection, without a database. Postbacks arrive at least once and out of
 * order, and SCORM Cloud's API is the authority. For one (registration, instance):
 *
 * 1. An API read replaces progress that came only from postbacks received before the read began, whatever their
 *    own `updated` (a forged postback may be dated up to the receiver's allowed skew ahead).
 * 2. Two updates that carry their own time (`updated`, SCORM Cloud's clock) are ordered by it; equal is a no-op.
 * 3. A timed update replaces an untimed row.
 * 4. An update without its own time (v1's `course` results format) is ordered by the gateway's clock: a postback by
 *    its arrival, an API read by the moment it began. It replaces every row written before that moment (for a
 *    postback: every API read that finished before it arrived), unless it changes nothing. Such a postback leaves
 *    the registration unconfirmed, so reconciliation re-reads it from the API.
 *
 * No result is ever dropped for want of a time, and the two clocks are never compared with each other.
 */

/** completion, success, score, total seconds, first access, last access, completed: in the stored column order. */
export type ProgressValues = unknown[];

/** Stored or pending progress of one (registration, instance); dates as ISO strings. */
export interface ProgressSlot {
  registrationId: string;
  instance: number;
  values: ProgressValues;
  /** SCORM Cloud's own update time, when the report had one. */
  updated: string | null;
  source: ProgressSource;
  /** The row's `updated_at`: a postback's arrival, or when an API answer was written. Null: nothing stored yet. */
  writtenAt: string | null;
}

/** A slot the batch wins, as it will be written. */
export interface ProgressWrite extends ProgressSlot {
  writtenAt: string;
  /** Set for an API read: when it began (rule 1 and, untimed, rule 4 in the database's guard). */
  readStartedAt: string | null;
}

export interface ProgressPlan {
  results: ProgressApplyResult[];
  /** The winning slots, one per (registration, instance), sorted by registration and instance. */
  writes: ProgressWrite[];
  /** What each written slot held before the batch (null: nothing), by slot key: the events' "previous". */
  previous: Map<string, ProgressSlot | null>;
}

export const slotKey = (registrationId: string, instance: number): string => `${instance}|${registrationId}`;
const iso = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);

export function valuesOf(update: RegistrationProgressUpdate): ProgressValues {
  return [
    update.completion,
    update.success,
    update.score,
    update.totalSeconds,
    iso(update.firstAccessDate),
    iso(update.lastAccessDate),
    iso(update.completedDate),
  ];
}

/** When the gateway learnt an update: a postback's arrival or an API read's start; by default, now. */
export const observedAt = (update: RegistrationProgressUpdate, now: string): string => iso(update.observedAt) ?? now;

/** Whether `update` (observed at `observed`) replaces `slot`. */
export function wins(
  update: RegistrationProgressUpdate,
  values: ProgressValues,
  updated: string | null,
  observed: string,
  slot: ProgressSlot,
): boolean {
  const api = update.source === 'api';
  // Rule 1 needs to know when the read began; an API answer without that time is ordered like any other.
  const readBegan = api && update.observedAt !== undefined;
  if (readBegan && slot.source === 'postback' && slot.writtenAt !== null && slot.writtenAt < observed) return true;
  if (updated && slot.updated) return updated > slot.updated;
  if (updated) return true;
  if (values.every((value, i) => value === slot.values[i])) return false;
  if (slot.writtenAt === null) return true;
  // A read that began at the moment a postback arrived may not have seen it: that postback stays to be confirmed.
  return api ? slot.writtenAt < observed : slot.writtenAt <= observed;
}

/**
 * Decides every update of a batch against the stored slots (mutated: later updates in the batch compare against
 * earlier winners as if those were stored already). Unknown registrations are reported, never written.
 */
export function planProgress(
  updates: RegistrationProgressUpdate[],
  knownRegistrations: ReadonlySet<string>,
  slots: Map<string, ProgressSlot>,
  now: string,
): ProgressPlan {
  const results: ProgressApplyResult[] = new Array(updates.length);
  const winners = new Map<string, ProgressWrite>();
  const previous = new Map<string, ProgressSlot | null>();
  for (let i = 0; i < updates.length; i++) {
    const update = updates[i];
    if (!knownRegistrations.has(update.registrationId)) {
      results[i] = 'unknown_registration';
      continue;
    }
    const key = slotKey(update.registrationId, update.instance);
    const values = valuesOf(update);
    const updated = iso(update.updated);
    const observed = observedAt(update, now);
    const slot = slots.get(key);
    if (slot && !wins(update, values, updated, observed, slot)) {
      results[i] = 'stale';
      continue;
    }
    const write: ProgressWrite = {
      instance: update.instance,
      readStartedAt: update.source === 'api' ? observed : null,
      registrationId: update.registrationId,
      source: update.source,
      updated,
      values,
      // A postback's row is dated by its arrival (rule 1 asks when it was received); an API answer by its writing.
      writtenAt: update.source === 'postback' && observed < now ? observed : now,
    };
    if (!previous.has(key)) previous.set(key, slot ?? null);
    slots.set(key, write);
    winners.set(key, write);
    results[i] = 'applied';
  }
  const writes = [...winners.values()].sort(bySlot);
  return { previous, results, writes };
}

/**
 * Updates that won in memory but whose row the database did not write (a concurrent transaction made it newer
 * meanwhile, on PostgreSQL) did not apply after all: their results become 'stale'.
 */
export function settleResults(plan: ProgressPlan, written: ReadonlySet<string>, updates: RegistrationProgressUpdate[]) {
  for (let i = 0; i < updates.length; i++) {
    if (plan.results[i] !== 'applied') continue;
    if (!written.has(slotKey(updates[i].registrationId, updates[i].instance))) plan.results[i] = 'stale';
  }
}

/** One registration's bookkeeping after a batch. */
export interface RegistrationChange {
  /** A postback was heard now. */
  postback: boolean;
  /** The new last_synced_at, when an API read is among the updates: as of the read's start. */
  synced: string | null;
  /** Where its applied data now comes from. */
  source: ProgressSource | null;
  /** A new highest instance. */
  instance: number | null;
}

/**
 * When each registration last heard a postback or an API read, where its applied data came from, and its
 * highest instance.
 */
export function registrationChanges(
  updates: RegistrationProgressUpdate[],
  results: ProgressApplyResult[],
  instances: ReadonlyMap<string, number>,
  now: string,
): Map<string, RegistrationChange> {
  const changes = new Map<string, RegistrationChange>();
  for (let i = 0; i < updates.length; i++) {
    if (results[i] === 'unknown_registration') continue;
    const update = updates[i];
    let change = changes.get(update.registrationId);
    if (!change) {
      change = { instance: null, postback: false, source: null, synced: null };
      changes.set(update.registrationId, change);
    }
    if (update.source === 'postback') change.postback = true;
    else {
      // An API answer shows SCORM Cloud's state as of when the read began: a postback that arrived during the
      // read stays newer than this sync, so reconciliation checks it again.
      const synced = observedAt(update, now) < now ? observedAt(update, now) : now;
      if (!change.synced || synced < change.synced) change.synced = synced;
    }
    if (results[i] !== 'applied') continue;
    change.source = update.source;
    if (update.instance > Math.max(change.instance ?? 0, instances.get(update.registrationId) ?? 0)) {
      change.instance = update.instance;
    }
  }
  return changes;
}

const bySlot = (a: ProgressSlot, b: ProgressSlot) =>
  a.registrationId < b.registrationId ? -1 : a.registrationId > b.registrationId ? 1 : a.instance - b.instance;
