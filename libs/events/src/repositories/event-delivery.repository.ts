import { Sql } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import type { AttemptResult } from '../entities/event-delivery-attempt.entity';
import type { DeliveryStatus } from '../entities/event-delivery.entity';
import {
  RawSubscription,
  readSubscription,
  SUBSCRIPTION_COLUMNS,
  SubscriptionRecord,
  toSubscription,
} from './event-subscription.repository';

/** A delivery a worker claimed, with what it sends. */
export interface ClaimedDelivery {
  id: number;
  subscriptionId: string;
  eventSeq: number;
  eventId: string;
  /** Deliveries of one registration are sent in order, each after the previous one's 2xx. */
  registrationId: string | null;
  /** Attempts made before this one. */
  attempts: number;
  /** The outbox payload; undefined when the event is no longer stored. */
  payload?: string;
  occurredAt?: string;
}

/** One attempt's end, as the log records it and the delivery row takes it. */
export interface AttemptRecord {
  deliveryId: number;
  subscriptionId: string;
  eventId: string;
  /** 1-based. */
  attempt: number;
  attemptedAt: Date;
  result: AttemptResult;
  statusCode: number | null;
  durationMs: number;
  responseExcerpt: string | null;
  error: string | null;
}

/** What becomes of the delivery: done, or tried again `retryInMs` from now (database clock), or given up. */
export type DeliveryUpdate =
  | { status: 'succeeded' }
  | { status: 'pending'; retryInMs: number }
  | { status: 'failed' }
  /** The endpoint is disabled: the delivery waits, due at once when it is enabled again. */
  | { status: 'parked' };

export interface DeliveryRecord {
  id: number;
  subscriptionId: string;
  eventSeq: number;
  eventId: string;
  eventType: string;
  registrationId: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  completedAt: string | null;
}

export interface AttemptLogRecord {
  id: number;
  deliveryId: number;
  subscriptionId: string;
  eventId: string;
  attempt: number;
  attemptedAt: string;
  result: AttemptResult;
  statusCode: number | null;
  durationMs: number;
  responseExcerpt: string | null;
  error: string | null;
}

/** Every attempt of the batch succeeded, with the same status code. */
function sameSuccess(batch: { attempt: AttemptRecord; update: DeliveryUpdate }[]): boolean {
  const code = batch[0].attempt.statusCode;
  return batch.every(({ attempt, update }) => update.status === 'succeeded' && attempt.statusCode === code);
}

/** An attempt's row in the delivery log, in attemptsInsert's column order. */
function attemptValues(attempt: AttemptRecord): unknown[] {
  return [
    attempt.deliveryId,
    attempt.subscriptionId,
    attempt.eventId,
    attempt.attempt,
    attempt.attemptedAt.toISOString(),
    attempt.result,
    attempt.statusCode,
    Math.round(attempt.durationMs),
    attempt.responseExcerpt,
    attempt.error?.slice(0, 500) ?? null,
  ];
}

/** INSERT of `rows` delivery-log rows, their placeholders from `offset` on. */
function attemptsInsert(sql: Sql, rows: number, offset: number): string {
  const tuples = Array.from({ length: rows }, (_, i) => `(${sql.marks(10, offset + i * 10)})`);
  return (
    'INSERT INTO event_delivery_attempts (delivery_id, subscription_id, event_id, attempt, attempted_at, result, ' +
    `status_code, duration_ms, response_excerpt, error) VALUES ${tuples.join(', ')}`
  );
}

/** A delivery as a claim returns it, and the event it delivers. */
interface ClaimedRow {
  id: number | string;
  subscription_id: string;
  registration_id: string | null;
  event_seq: number | string;
  event_id: string;
  attempts: number;
}
/** The event a claimed row delivers, when it is still stored. */
interface ClaimedEvent {
  payload?: string | null;
  occurred_at?: string | null;
}

/** What a claim took: its deliveries in event order, and the endpoint as it stood (absent when none was claimed). */
export interface Claim {
  deliveries: ClaimedDelivery[];
  subscription?: SubscriptionRecord;
}

/** Claimed rows and their events (same positions), in event order. */
const toClaimed = (rows: ClaimedRow[], events: (ClaimedEvent | undefined)[]): ClaimedDelivery[] =>
  rows
    .map((row, i) => ({
      attempts: Number(row.attempts),
      eventId: row.event_id,
      eventSeq: Number(row.event_seq),
      id: Number(row.id),
      occurredAt: events[i]?.occurred_at ?? undefined,
      payload: events[i]?.payload ?? undefined,
      registrationId: row.registration_id,
      subscriptionId: row.subscription_id,
    }))
    .sort((a, b) => a.eventSeq - b.eventSeq);

interface FanOutSubscription {
  id: string;
  event_types: string;
  cursor_seq: number | string;
}

/** Deliveries inserted per statement (7 parameters each). */
const CHUNK = 100;

/**
 * `event_deliveries` and `event_delivery_attempts`: fan-out from the outbox, claims under a lease, completion and
 * the log. Every statement that two instances may race on is safe on PostgreSQL by row locks (`FOR UPDATE SKIP
 * LOCKED`) or unique keys; SQLite has one process.
 */
@Injectable()
export class EventDeliveryRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get sql(): Sql {
    return new Sql(this.dataSource.manager);
  }

  /**
   * Turns outbox events past each active subscription's cursor into delivery rows (those its filter takes) and
   * moves the cursors on, in one transaction. On PostgreSQL the subscriptions are row-locked, skipping those another
   * instance is fanning out, and the unique (subscription, event) key makes a repeat harmless. Answers how many
   * events were read (`limit` of them: call again).
   */
  async fanOut(limit: number, now: Date): Promise<{ read: number; created: number }> {
    if (this.sql.postgres) return this.fanOutInOneStatement(limit, now);
    return this.dataSource.transaction(async (manager) => {
      const sql = new Sql(manager);
      const subs = await sql.query<FanOutSubscription[]>(
        `SELECT id, event_types, cursor_seq FROM event_subscriptions WHERE status = 'active' ORDER BY id` +
          (sql.postgres ? ' FOR UPDATE SKIP LOCKED' : ''),
        [],
      );
      if (!subs.length) return { created: 0, read: 0 };
      const from = Math.min(...subs.map((sub) => Number(sub.cursor_seq)));
      const events = await sql.query<{ seq: number | string; id: string; type: string; registration_id: string }[]>(
        `SELECT seq, id, type, registration_id FROM events WHERE seq > ${sql.mark(0)} ORDER BY seq LIMIT ${sql.mark(1)}`,
        [from, limit],
      );
      if (!events.length) return { created: 0, read: 0 };
      const last = Number(events[events.length - 1].seq);
      const rows: unknown[][] = [];
      for (const sub of subs) {
        const types = JSON.parse(sub.event_types) as string[];
        const all = types.includes('*');
        for (const event of events) {
          if (Number(event.seq) <= Number(sub.cursor_seq) || (!all && !types.includes(event.type))) continue;
          rows.push([sub.id, event.seq, event.id, event.type, event.registration_id, now.toISOString()]);
        }
      }
      for (let at = 0; at < rows.length; at += CHUNK) {
        const chunk = rows.slice(at, at + CHUNK);
        const tuples = chunk.map((_, i) => `(${sql.marks(6, i * 6)}, 'pending', 0, ${sql.nowMs()})`);
        await sql.query(
          'INSERT INTO event_deliveries (subscription_id, event_seq, event_id, event_type, registration_id, ' +
            `created_at, status, attempts, next_attempt_at) VALUES ${tuples.join(', ')} ` +
            'ON CONFLICT (subscription_id, event_seq) DO NOTHING',
          chunk.flat(),
        );
      }
      const ids = subs.map((sub) => sub.id);
      await sql.query(
        `UPDATE event_subscriptions SET cursor_seq = ${sql.mark(0)} WHERE cursor_seq < ${sql.mark(1)} ` +
          `AND id IN (${sql.marks(ids.length, 2)})`,
        [last, last, ...ids],
      );
      return { created: rows.length, read: events.length };
    });
  }

  /**
   * PostgreSQL's fan-out: the same pass as one statement, so one round trip instead of six (the transaction's
   * BEGIN and COMMIT, the subscriptions, the events, the deliveries, the cursors). While postbacks arrive a pass runs
   * every few milliseconds with a handful of events, so these round trips were most of what delivering cost the
   * database: measured at a steady 1,000 postbacks/s, 9,000 of 26,000 statements. Every part of it reads the same
   * snapshot; the active subscriptions are locked (SKIP LOCKED: another instance's pass leaves them to it) and their
   * cursors advance past the events read, as in the transaction above. `event_types` is the JSON array of the
   * subscription's filter (`*` for every type).
   */
  private async fanOutInOneStatement(limit: number, now: Date): Promise<{ read: number; created: number }> {
    const sql = this.sql;
    const [row] = await sql.query<{ read: number | string | null; created: number | string | null }[]>(
      "WITH subs AS (SELECT id, event_types::jsonb AS types, cursor_seq FROM event_subscriptions WHERE status = 'active' " +
        'ORDER BY id FOR UPDATE SKIP LOCKED), ' +
        'batch AS (SELECT seq, id, type, registration_id FROM events ' +
        `WHERE seq > (SELECT min(cursor_seq) FROM subs) ORDER BY seq LIMIT ${sql.mark(0)}), ` +
        'created AS (INSERT INTO event_deliveries (subscription_id, event_seq, event_id, event_type, registration_id, ' +
        `created_at, status, attempts, next_attempt_at) SELECT s.id, b.seq, b.id, b.type, b.registration_id, ${sql.mark(1)}, ` +
        `'pending', 0, ${sql.nowMs()} FROM subs s JOIN batch b ON b.seq > s.cursor_seq ` +
        "WHERE s.types ? '*' OR s.types ? b.type ORDER BY b.seq, s.id " +
        'ON CONFLICT (subscription_id, event_seq) DO NOTHING RETURNING 1), ' +
        'last AS (SELECT max(seq) AS seq, count(*) AS read FROM batch), ' +
        'advanced AS (UPDATE event_subscriptions SET cursor_seq = (SELECT seq FROM last) ' +
        'WHERE id IN (SELECT id FROM subs) AND cursor_seq < (SELECT seq FROM last)) ' +
        // PostgreSQL runs every data-modifying CTE whether the final SELECT reads it or not.
        'SELECT (SELECT read FROM last) AS read, (SELECT count(*) FROM created) AS created',
      [limit, now.toISOString()],
    );
    return { created: Number(row?.created ?? 0), read: Number(row?.read ?? 0) };
  }

  /**
   * Claims up to `limit` due deliveries of one subscription for `leaseMs` (database clock), oldest first, with the
   * subscription as it stands at the claim: what they are signed with and sent to. (A list of endpoints read before
   * can be stale: after a secret rotation, or a change made through another instance, a delivery of an event
   * appended after the change must still be signed with the new secrets.) Nothing is claimed for a subscription that
   * is no longer active. A claim whose lease ran out (its worker died) is claimable again, with the same
   * `webhook-id`.
   *
   * Per-registration order: a registration's delivery is claimed only with every earlier pending delivery of the same
   * registration to the same endpoint, in the same claim (its chain, which the worker sends one after the other,
   * each after the previous one's 2xx), and never while one of them is in flight elsewhere or waiting for a retry.
   */
  async claim(subscriptionId: string, limit: number, holder: string, leaseMs: number): Promise<Claim> {
    const sql = this.sql;
    const now = sql.nowMs();
    const blocked = (p: string) =>
      `(SELECT 1 FROM event_deliveries ${p} WHERE ${p}.subscription_id = c.subscription_id AND ` +
      `${p}.registration_id = c.registration_id AND ${p}.status = 'pending' AND ${p}.event_seq < c.event_seq AND `;
    // Due, unlocked, and behind nothing in flight or waiting; oldest first (SQLite's marks follow the text's order).
    const candidates =
      `SELECT c.id, c.subscription_id, c.registration_id, c.event_seq FROM event_deliveries c ` +
      `WHERE c.subscription_id = ${sql.mark(0)} AND c.status = 'pending' AND c.next_attempt_at <= ${now} ` +
      `AND (c.locked_until IS NULL OR c.locked_until < ${now}) AND (c.registration_id IS NULL OR NOT EXISTS ` +
      `${blocked('p')}(p.next_attempt_at > ${now} OR p.locked_until >= ${now})))` +
      (sql.postgres ? ' AND EXISTS (SELECT 1 FROM s)' : '') +
      ` ORDER BY c.event_seq LIMIT ${sql.mark(1)}` +
      (sql.postgres ? ' FOR UPDATE OF c SKIP LOCKED' : '');
    // Whole chains only: a candidate whose earlier pending delivery is not a candidate too (past the limit, or
    // skipped while another instance's claim locks it) waits.
    const update =
      `UPDATE event_deliveries SET locked_until = ${now} + ${sql.mark(2)}, locked_by = ${sql.mark(3)} ` +
      'WHERE id IN (SELECT c.id FROM candidates c WHERE c.registration_id IS NULL OR NOT EXISTS ' +
      `${blocked('q')}q.id NOT IN (SELECT id FROM candidates))) ` +
      'RETURNING id, subscription_id, registration_id, event_seq, event_id, attempts';
    const params = [subscriptionId, limit, leaseMs, holder];
    if (sql.postgres) {
      // One round trip, one snapshot: the endpoint, the claim and its events' payloads together.
      const rows = await sql.query<(ClaimedRow & ClaimedEvent & { subscription: RawSubscription })[]>(
        `WITH s AS (SELECT ${SUBSCRIPTION_COLUMNS} FROM event_subscriptions WHERE id = ${sql.mark(0)} ` +
          `AND status = 'active'), candidates AS MATERIALIZED (${candidates}), claimed AS (${update}) ` +
          'SELECT c.*, e.payload, e.occurred_at, to_json(s) AS subscription FROM claimed c CROSS JOIN s ' +
          'LEFT JOIN events e ON e.seq = c.event_seq',
        params,
      );
      if (!rows.length) return { deliveries: [] };
      return { deliveries: toClaimed(rows, rows), subscription: toSubscription(rows[0].subscription) };
    }
    const rows = await sql.query<ClaimedRow[]>(`WITH candidates AS MATERIALIZED (${candidates}) ${update}`, params);
    if (!rows.length) return { deliveries: [] };
    // Read after the claim, so it is at least as new as the deliveries claimed.
    const current = await readSubscription(sql, subscriptionId);
    if (current?.status !== 'active') {
      await this.release(
        rows.map((row) => Number(row.id)),
        holder,
      );
      return { deliveries: [] };
    }
    const seqs = rows.map((row) => Number(row.event_seq));
    const events = await sql.query<(ClaimedEvent & { seq: number | string })[]>(
      `SELECT seq, payload, occurred_at FROM events WHERE seq IN (${sql.marks(seqs.length)})`,
      seqs,
    );
    const bySeq = new Map(events.map((event) => [Number(event.seq), event]));
    return {
      deliveries: toClaimed(
        rows,
        rows.map((row) => bySeq.get(Number(row.event_seq))),
      ),
      subscription: current,
    };
  }

  /** Records attempts and their deliveries' new states, in one transaction (one commit for a batch of answers). */
  async complete(batch: { attempt: AttemptRecord; update: DeliveryUpdate }[]): Promise<void> {
    if (!batch.length) return;
    if (this.sql.postgres && batch.length <= CHUNK && sameSuccess(batch)) return this.completeSucceeded(batch);
    await this.dataSource.transaction(async (manager) => {
      const sql = new Sql(manager);
      const succeeded = batch.filter((item) => item.update.status === 'succeeded');
      const byCode = new Map<number | null, number[]>();
      for (const { attempt } of succeeded) {
        const ids = byCode.get(attempt.statusCode) ?? [];
        ids.push(attempt.deliveryId);
        byCode.set(attempt.statusCode, ids);
      }
      for (const [code, ids] of byCode) {
        await sql.query(
          `UPDATE event_deliveries SET status = 'succeeded', attempts = attempts + 1, locked_until = NULL, ` +
            `locked_by = NULL, last_status_code = ${sql.mark(0)}, last_error = NULL, completed_at = ${sql.mark(1)} ` +
            `WHERE id IN (${sql.marks(ids.length, 2)})`,
          [code, succeeded[0].attempt.attemptedAt.toISOString(), ...ids],
        );
      }
      for (const { attempt, update } of batch) {
        if (update.status === 'succeeded') continue;
        const error = (attempt.error ?? `HTTP ${attempt.statusCode}`).slice(0, 500);
        if (update.status === 'pending' || update.status === 'parked') {
          const delay = update.status === 'pending' ? update.retryInMs : 0;
          await sql.query(
            `UPDATE event_deliveries SET attempts = attempts + 1, locked_until = NULL, locked_by = NULL, ` +
              `last_status_code = ${sql.mark(0)}, last_error = ${sql.mark(1)}, ` +
              `next_attempt_at = ${sql.nowMs()} + ${sql.mark(2)} WHERE id = ${sql.mark(3)} AND status = 'pending'`,
            [attempt.statusCode, error, delay, attempt.deliveryId],
          );
        } else {
          await sql.query(
            `UPDATE event_deliveries SET status = 'failed', attempts = attempts + 1, locked_until = NULL, ` +
              `locked_by = NULL, last_status_code = ${sql.mark(0)}, last_error = ${sql.mark(1)}, ` +
              `completed_at = ${sql.mark(2)} WHERE id = ${sql.mark(3)} AND status = 'pending'`,
            [attempt.statusCode, error, attempt.attemptedAt.toISOString(), attempt.deliveryId],
          );
        }
      }
      for (let at = 0; at < batch.length; at += CHUNK) {
        const chunk = batch.slice(at, at + CHUNK).map(({ attempt }) => attemptValues(attempt));
        await sql.query(attemptsInsert(sql, chunk.length, 0), chunk.flat());
      }
    });
  }

  /**
   * PostgreSQL, the usual batch (every attempt answered 2xx with one status code): the deliveries marked succeeded
   * and their attempts logged in one statement, atomic by itself, so one round trip instead of four (BEGIN, the
   * UPDATE, the INSERT, COMMIT).
   */
  private async completeSucceeded(batch: { attempt: AttemptRecord }[]): Promise<void> {
    const sql = this.sql;
    const first = batch[0].attempt;
    const ids = batch.map(({ attempt }) => attempt.deliveryId);
    const attempts = batch.map(({ attempt }) => attemptValues(attempt));
    await sql.query(
      `WITH done AS (UPDATE event_deliveries SET status = 'succeeded', attempts = attempts + 1, locked_until = NULL, ` +
        `locked_by = NULL, last_status_code = ${sql.mark(0)}, last_error = NULL, completed_at = ${sql.mark(1)} ` +
        `WHERE id IN (${sql.marks(ids.length, 2)}) RETURNING 1) ${attemptsInsert(sql, attempts.length, 2 + ids.length)}`,
      [first.statusCode, first.attemptedAt.toISOString(), ...ids, ...attempts.flat()],
    );
  }

  /** Releases claims without an attempt (shutting down): due again at once, no lease to wait out. */
  async release(ids: number[], holder: string): Promise<void> {
    if (!ids.length) return;
    const sql = this.sql;
    await sql.query(
      `UPDATE event_deliveries SET locked_until = NULL, locked_by = NULL WHERE locked_by = ${sql.mark(0)} ` +
        `AND id IN (${sql.marks(ids.length, 1)})`,
      [holder, ...ids],
    );
  }

  /** Newest first, after the keyset `beforeId`. */
  async list(
    subscriptionId: string,
    limit: number,
    filter: { beforeId?: number; status?: DeliveryStatus; eventId?: string },
  ): Promise<DeliveryRecord[]> {
    const sql = this.sql;
    const { params, where } = ofSubscription(sql, subscriptionId, [
      ['id <', filter.beforeId],
      ['status =', filter.status],
      ['event_id =', filter.eventId],
    ]);
    params.push(limit);
    const rows = await sql.query<RawDelivery[]>(
      `SELECT ${DELIVERY_COLUMNS} FROM event_deliveries WHERE ${where} ORDER BY id DESC ` +
        `LIMIT ${sql.mark(params.length - 1)}`,
      params,
    );
    return rows.map(toDelivery);
  }

  async get(subscriptionId: string, id: number): Promise<DeliveryRecord | undefined> {
    const sql = this.sql;
    const [row] = await sql.query<RawDelivery[]>(
      `SELECT ${DELIVERY_COLUMNS} FROM event_deliveries WHERE id = ${sql.mark(0)} AND subscription_id = ${sql.mark(1)}`,
      [id, subscriptionId],
    );
    return row && toDelivery(row);
  }

  /** The log, newest first, after the keyset `beforeId`. */
  async attempts(
    subscriptionId: string,
    limit: number,
    filter: { beforeId?: number; deliveryId?: number; eventId?: string },
  ): Promise<AttemptLogRecord[]> {
    const sql = this.sql;
    const { params, where } = ofSubscription(sql, subscriptionId, [
      ['id <', filter.beforeId],
      ['delivery_id =', filter.deliveryId],
      ['event_id =', filter.eventId],
    ]);
    params.push(limit);
    const rows = await sql.query<RawAttempt[]>(
      'SELECT id, delivery_id, subscription_id, event_id, attempt, attempted_at, result, status_code, duration_ms, ' +
        `response_excerpt, error FROM event_delivery_attempts WHERE ${where} ORDER BY id DESC ` +
        `LIMIT ${sql.mark(params.length - 1)}`,
      params,
    );
    return rows.map(toAttempt);
  }

  /** Sends one delivery again, due now with a fresh retry schedule (one in flight keeps its claim). */
  async redeliver(subscriptionId: string, id: number): Promise<boolean> {
    const sql = this.sql;
    const rows = await sql.query<unknown[]>(
      `UPDATE event_deliveries SET attempts = CASE WHEN status = 'pending' THEN attempts ELSE 0 END, ` +
        `status = 'pending', next_attempt_at = ${sql.nowMs()}, completed_at = NULL ` +
        `WHERE id = ${sql.mark(0)} AND subscription_id = ${sql.mark(1)} RETURNING id`,
      [id, subscriptionId],
    );
    return rows.length > 0;
  }

  /**
   * Queues every event since `since` (by when it happened) that the subscription's filter takes and its cursor has
   * passed (later ones are fanned out anyway): new deliveries, or done ones made due again. Answers how many.
   */
  async replay(subscriptionId: string, since: Date, eventTypes: string[], now: Date): Promise<number> {
    const sql = this.sql;
    const params: unknown[] = [subscriptionId, now.toISOString(), since.toISOString(), subscriptionId];
    let types = '';
    if (!eventTypes.includes('*')) {
      types = ` AND e.type IN (${sql.marks(eventTypes.length, params.length)})`;
      params.push(...eventTypes);
    }
    const rows = await sql.query<unknown[]>(
      'INSERT INTO event_deliveries (subscription_id, event_seq, event_id, event_type, registration_id, created_at, ' +
        `status, attempts, next_attempt_at) SELECT ${sql.mark(0)}, e.seq, e.id, e.type, e.registration_id, ` +
        `${sql.mark(1)}, 'pending', 0, ${sql.nowMs()} FROM events e WHERE e.occurred_at >= ${sql.mark(2)} ` +
        `AND e.seq <= (SELECT cursor_seq FROM event_subscriptions WHERE id = ${sql.mark(3)})${types} ` +
        'ON CONFLICT (subscription_id, event_seq) DO UPDATE SET status = ' +
        `'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at, completed_at = NULL ` +
        "WHERE event_deliveries.status <> 'pending' RETURNING id",
      params,
    );
    return rows.length;
  }

  /** Deletes at most `limit` log rows attempted before `cutoff` (the attempted_at index), in `manager`'s transaction. */
  pruneAttempts(manager: EntityManager, cutoff: Date, limit: number): Promise<number> {
    return new Sql(manager).deleteOldest('event_delivery_attempts', 'id', 'attempted_at', cutoff, limit);
  }

  /** Retention: at most `limit` finished deliveries (delivered, failed for good) completed before `cutoff`. */
  pruneFinished(manager: EntityManager, cutoff: Date, limit: number): Promise<number> {
    return new Sql(manager).deleteOldest('event_deliveries', 'id', 'completed_at', cutoff, limit);
  }

  /** Pending deliveries of a subscription (the API shows the backlog). */
  async pendingCount(subscriptionId: string): Promise<number> {
    const sql = this.sql;
    const [row] = await sql.query<{ n: number | string }[]>(
      `SELECT COUNT(*) AS n FROM event_deliveries WHERE subscription_id = ${sql.mark(0)} AND status = 'pending'`,
      [subscriptionId],
    );
    return Number(row?.n ?? 0);
  }
}

/** `subscription_id = ?` and each filter that is set (`column op`, value), with their parameters in order. */
function ofSubscription(
  sql: Sql,
  subscriptionId: string,
  filters: [string, string | number | undefined][],
): { params: unknown[]; where: string } {
  const params: unknown[] = [subscriptionId];
  const clauses = [`subscription_id = ${sql.mark(0)}`];
  for (const [test, value] of filters) {
    if (value === undefined || value === '') continue;
    clauses.push(`${test} ${sql.mark(params.length)}`);
    params.push(value);
  }
  return { params, where: clauses.join(' AND ') };
}

const DELIVERY_COLUMNS =
  'id, subscription_id, event_seq, event_id, event_type, registration_id, status, attempts, next_attempt_at, ' +
  'last_status_code, last_error, created_at, completed_at';

interface RawDelivery {
  id: number | string;
  subscription_id: string;
  event_seq: number | string;
  event_id: string;
  event_type: string;
  registration_id: string | null;
  status: DeliveryStatus;
  attempts: number | string;
  next_attempt_at: number | string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  completed_at: string | null;
}

interface RawAttempt {
  id: number | string;
  delivery_id: number | string;
  subscription_id: string;
  event_id: string;
  attempt: number | string;
  attempted_at: string;
  result: AttemptResult;
  status_code: number | null;
  duration_ms: number | string;
  response_excerpt: string | null;
  error: string | null;
}

const toDelivery = (row: RawDelivery): DeliveryRecord => ({
  attempts: Number(row.attempts),
  completedAt: row.completed_at,
  createdAt: row.created_at,
  eventId: row.event_id,
  eventSeq: Number(row.event_seq),
  eventType: row.event_type,
  id: Number(row.id),
  lastError: row.last_error,
  lastStatusCode: row.last_status_code === null ? null : Number(row.last_status_code),
  nextAttemptAt: row.status === 'pending' && row.next_attempt_at !== null ? Number(row.next_attempt_at) : null,
  registrationId: row.registration_id,
  status: row.status,
  subscriptionId: row.subscription_id,
});

const toAttempt = (row: RawAttempt): AttemptLogRecord => ({
  attempt: Number(row.attempt),
  attemptedAt: row.attempted_at,
  deliveryId: Number(row.delivery_id),
  durationMs: Number(row.duration_ms),
  error: row.error,
  eventId: row.event_id,
  id: Number(row.id),
  responseExcerpt: row.response_excerpt,
  result: row.result,
  statusCode: row.status_code === null ? null : Number(row.status_code),
  subscriptionId: row.subscription_id,
});
