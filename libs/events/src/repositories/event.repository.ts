import { Sql } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import type { EventType, StoredEvent } from '../event.types';

/** An arbitrary constant: the transaction-scoped advisory lock that orders outbox appends on PostgreSQL. */
const OUTBOX_LOCK = 0x6576_7473;
/** The PostgreSQL channel told (at commit, NOTIFY being transactional) that events were appended. */
export const EVENTS_CHANNEL = 'gateway_events';
const COLUMNS = [
  'id',
  'type',
  'occurred_at',
  'registration_id',
  'learner_id',
  'context_id',
  'course_id',
  'payload',
  'actor_id',
];
/** Rows per INSERT: 9 parameters each. */
const CHUNK = 200;

export interface EventRow {
  id: string;
  type: EventType;
  occurredAt: string;
  registrationId: string | null;
  learnerId: string | null;
  contextId: string | null;
  courseId: string | null;
  payload: string;
  actorId: string | null;
}

/** Which events a reader may see: any of these ids matches (all of them unset: every event). */
export interface EventScope {
  learnerIds?: string[];
  contextIds?: string[];
  registrationIds?: string[];
}

/** The outbox's SQL. */
@Injectable()
export class EventRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Appends in the caller's transaction. On PostgreSQL the transaction first takes the outbox lock, held until it
   * commits, so seq order is commit order: a reader at position N never later finds an event below N committed
   * (SQLite has one writer, so it is so already). Appends must therefore be a transaction's last writes (another
   * row lock taken after it could deadlock), and the NOTIFY goes out only if the transaction commits.
   */
  async append(manager: EntityManager, rows: EventRow[]): Promise<void> {
    const sql = new Sql(manager);
    for (let from = 0; from < rows.length; from += CHUNK) {
      const chunk = rows.slice(from, from + CHUNK);
      const tuples = chunk.map((_, i) => `(${sql.marks(COLUMNS.length, i * COLUMNS.length)})`);
      const params = chunk.flatMap((row) => [
        row.id,
        row.type,
        row.occurredAt,
        row.registrationId,
        row.learnerId,
        row.contextId,
        row.courseId,
        row.payload,
        row.actorId,
      ]);
      if (!sql.postgres) {
        await sql.query(`INSERT INTO events (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, params);
        continue;
      }
      // One round trip: the lock first (the rows are joined to it, so no seq is drawn before it is held), then the
      // rows, then the NOTIFY that PostgreSQL sends at commit.
      await sql.query(
        `WITH outbox_lock AS (SELECT pg_advisory_xact_lock(${OUTBOX_LOCK})), ` +
          `appended AS (INSERT INTO events (${COLUMNS.join(', ')}) SELECT v.* FROM (VALUES ${tuples.join(', ')}) ` +
          `AS v(${COLUMNS.join(', ')}) CROSS JOIN outbox_lock RETURNING seq) ` +
          `SELECT pg_notify('${EVENTS_CHANNEL}', '') FROM (SELECT 1 FROM appended LIMIT 1) AS any_appended`,
        params,
      );
    }
  }

  /** Events after position `afterSeq` in order, at most `limit`, limited to `scope` when given. */
  async after(afterSeq: number, limit: number, scope?: EventScope): Promise<StoredEvent[]> {
    const sql = new Sql(this.dataSource.manager);
    const params: unknown[] = [afterSeq];
    const any: string[] = [];
    const within = (column: string, ids: string[] | undefined) => {
      if (!ids) return;
      if (!ids.length) return void any.push('1 = 0');
      any.push(`${column} IN (${sql.marks(ids.length, params.length)})`);
      params.push(...ids);
    };
    within('learner_id', scope?.learnerIds);
    within('context_id', scope?.contextIds);
    within('registration_id', scope?.registrationIds);
    params.push(limit);
    const rows = await sql.query<RawEvent[]>(
      `SELECT seq, id, type, occurred_at, registration_id, learner_id, context_id, course_id, payload FROM events ` +
        `WHERE seq > ${sql.mark(0)}${any.length ? ` AND (${any.join(' OR ')})` : ''} ` +
        `ORDER BY seq LIMIT ${sql.mark(params.length - 1)}`,
      params,
    );
    return rows.map(toStored);
  }

  /**
   * A learner data deletion: the learner's events and those they made (their payloads name the learner) with their
   * deliveries and delivery log, in the deletion's transaction. `learner.deleted` itself stays: it tells the LMS of
   * the erasure.
   */
  async eraseLearner(manager: EntityManager, learnerId: string): Promise<number> {
    const sql = new Sql(manager);
    const theirs =
      `SELECT id FROM events WHERE (learner_id = ${sql.mark(0)} OR actor_id = ${sql.mark(1)}) ` +
      "AND type <> 'learner.deleted'";
    const params = [learnerId, learnerId];
    await sql.query(`DELETE FROM event_delivery_attempts WHERE event_id IN (${theirs})`, params);
    await sql.query(`DELETE FROM event_deliveries WHERE event_id IN (${theirs})`, params);
    const rows = await sql.query<unknown[]>(`DELETE FROM events WHERE id IN (${theirs}) RETURNING seq`, params);
    return rows.length;
  }

  /**
   * Retention: at most `limit` events that occurred before `cutoff`, oldest first. A delivery still pending for one
   * is then answered "no longer stored" by the worker; the stream resumes from the oldest event left.
   */
  pruneBefore(manager: EntityManager, cutoff: Date, limit: number): Promise<number> {
    return new Sql(manager).deleteOldest('events', 'seq', 'occurred_at', cutoff, limit);
  }

  /** The newest position (0 when empty). */
  async latestSeq(): Promise<number> {
    const [row] = await this.dataSource.query('SELECT MAX(seq) AS seq FROM events');
    return Number(row?.seq ?? 0);
  }

  async byId(id: string): Promise<StoredEvent | undefined> {
    const sql = new Sql(this.dataSource.manager);
    const [row] = await sql.query<RawEvent[]>(
      'SELECT seq, id, type, occurred_at, registration_id, learner_id, context_id, course_id, payload FROM events ' +
        `WHERE id = ${sql.mark(0)}`,
      [id],
    );
    return row && toStored(row);
  }
}

interface RawEvent {
  seq: number | string;
  id: string;
  type: EventType;
  occurred_at: string;
  registration_id: string | null;
  learner_id: string | null;
  context_id: string | null;
  course_id: string | null;
  payload: string;
}

const toStored = (row: RawEvent): StoredEvent => ({
  contextId: row.context_id,
  courseId: row.course_id,
  id: row.id,
  learnerId: row.learner_id,
  occurredAt: row.occurred_at,
  payload: row.payload,
  registrationId: row.registration_id,
  seq: Number(row.seq),
  type: row.type,
});
