import { Sql } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, In } from 'typeorm';

import { RegistrationProgressEntity } from '../entities/registration-progress.entity';
import type { ProgressSource } from '../entities/registration.entity';
import type { RegistrationRef } from '../registrations/progress-events';
import type { ProgressSlot, ProgressWrite, RegistrationChange } from '../registrations/progress-merge.rule';
import { slotKey } from '../registrations/progress-merge.rule';

const PROGRESS = 'scorm_registration_progress';
/** The projection's columns in the order every upsert writes them (checked against the entity by its spec). */
export const PROGRESS_COLUMNS = [
  'id',
  'registration_id',
  'instance',
  'completion',
  'success',
  'score',
  'total_seconds',
  'first_access_at',
  'last_access_at',
  'completed_at',
  'progress_updated_at',
  'source',
  'created_at',
  'updated_at',
] as const;
const WIDTH = PROGRESS_COLUMNS.length;
/** Rows per upsert statement: 14 parameters each stays far below SQLite's and PostgreSQL's limits. */
export const UPSERT_CHUNK = 500;
/** Ids per `IN (...)` list. */
export const ID_CHUNK = 1000;
const UPDATE_SET = PROGRESS_COLUMNS.filter((c) => !['id', 'registration_id', 'instance', 'created_at'].includes(c))
  .map((column) => `${column} = excluded.${column}`)
  .join(', ');
const TIMED_NEWER = `(${PROGRESS}.progress_updated_at IS NULL OR ${PROGRESS}.progress_updated_at < excluded.progress_updated_at)`;
/**
 * The ordering rule again, in the database, against a row a concurrent transaction committed after our read
 * (PostgreSQL). A postback row's updated_at is its arrival, so an untimed one beats what was written before it
 * arrived. ISO-8601 UTC strings of one width compare correctly as text.
 */
const POSTBACK_GUARD =
  `CASE WHEN excluded.progress_updated_at IS NULL THEN ${PROGRESS}.updated_at <= excluded.updated_at ` +
  `ELSE ${TIMED_NEWER} END`;

/** The registrations of a batch and their stored progress. */
export interface ProgressState {
  /** Known registrations and their highest instance. */
  instances: Map<string, number>;
  /** Whom each known registration belongs to (for the events). */
  refs: Map<string, RegistrationRef>;
  slots: Map<string, ProgressSlot>;
}

/** The SQL of the progress projection; every statement runs through the caller's transaction. */
@Injectable()
export class RegistrationProgressRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async progressOf(registrationIds: string[]): Promise<Map<string, RegistrationProgressEntity[]>> {
    const result = new Map<string, RegistrationProgressEntity[]>();
    if (!registrationIds.length) return result;
    const rows = await this.dataSource
      .getRepository(RegistrationProgressEntity)
      .find({ order: { instance: 'ASC' }, where: { registrationId: In(registrationIds) } });
    for (const row of rows) result.set(row.registrationId, [...(result.get(row.registrationId) ?? []), row]);
    return result;
  }

  /**
   * The named registrations (unknown ones are absent) and every progress row they have, read in the manager's
   * transaction. On PostgreSQL the registrations are locked (in id order, so concurrent batches cannot deadlock)
   * until it commits: batches touching one registration take turns, so what each saw as "previous" is what its
   * events announce, and their events are appended in the order their changes committed.
   */
  async load(manager: EntityManager, registrationIds: string[]): Promise<ProgressState> {
    const sql = new Sql(manager);
    const state: ProgressState = { instances: new Map(), refs: new Map(), slots: new Map() };
    // PostgreSQL: one array parameter, so one statement text (prepared once per connection) for any batch.
    const chunkSize = sql.postgres ? Math.max(1, registrationIds.length) : ID_CHUNK;
    for (let from = 0; from < registrationIds.length; from += chunkSize) {
      const chunk = registrationIds.slice(from, from + chunkSize);
      const rows = await sql.query<ProgressRow[]>(
        'SELECT r.id, r.instance AS registration_instance, r.course_id, r.learner_id, r.context_id, p.instance, ' +
          'p.completion, p.success, p.score, p.total_seconds, p.first_access_at, p.last_access_at, p.completed_at, ' +
          `p.progress_updated_at, p.source, p.updated_at FROM scorm_registrations r LEFT JOIN ${PROGRESS} p ` +
          'ON p.registration_id = r.id ' +
          (sql.postgres
            ? 'WHERE r.id = ANY($1::text[]) ORDER BY r.id FOR UPDATE OF r'
            : `WHERE r.id IN (${sql.marks(chunk.length)})`),
        sql.postgres ? [chunk] : chunk,
      );
      for (const row of rows) {
        if (!state.instances.has(row.id)) {
          state.instances.set(row.id, Number(row.registration_instance));
          state.refs.set(row.id, { contextId: row.context_id, courseId: row.course_id, learnerId: row.learner_id });
        }
        if (row.instance === null || row.instance === undefined) continue;
        const instance = Number(row.instance);
        state.slots.set(slotKey(row.id, instance), {
          instance,
          registrationId: row.id,
          source: row.source,
          updated: row.progress_updated_at,
          values: [
            row.completion,
            row.success,
            row.score === null ? null : Number(row.score),
            row.total_seconds === null ? null : Number(row.total_seconds),
            row.first_access_at,
            row.last_access_at,
            row.completed_at,
          ],
          writtenAt: row.updated_at,
        });
      }
    }
    return state;
  }

  /** Writes the winning slots (sorted, so concurrent batches lock rows in one order); answers the keys written. */
  async upsert(manager: EntityManager, writes: ProgressWrite[]): Promise<Set<string>> {
    const sql = new Sql(manager);
    const written = new Set<string>();
    const record = (rows: WrittenRow[]) =>
      rows.forEach((row) => written.add(slotKey(row.registration_id, Number(row.instance))));
    const postbacks: ProgressWrite[] = [];
    for (const write of writes) {
      if (write.readStartedAt === null) {
        postbacks.push(write);
        continue;
      }
      // An API read also replaces postback-only data received before it began, whatever its `updated`; without a
      // time of its own it replaces what was written before it began.
      const guard =
        `(${PROGRESS}.source = 'postback' AND ${PROGRESS}.updated_at < ${sql.mark(WIDTH)}) OR CASE WHEN ` +
        `excluded.progress_updated_at IS NULL THEN ${PROGRESS}.updated_at < ${sql.mark(WIDTH + 1)} ELSE ${TIMED_NEWER} END`;
      const began = write.readStartedAt;
      record(await sql.query<WrittenRow[]>(upsertSql(sql, 1, guard), [...rowParams(write), began, began]));
    }
    for (let from = 0; from < postbacks.length; from += UPSERT_CHUNK) {
      const chunk = postbacks.slice(from, from + UPSERT_CHUNK);
      record(await sql.query<WrittenRow[]>(upsertSql(sql, chunk.length, POSTBACK_GUARD), chunk.flatMap(rowParams)));
    }
    return written;
  }

  /**
   * PostgreSQL, a batch of postbacks only: the upsert and the registrations' bookkeeping in one statement (one
   * round trip fewer per group commit). Same effect as upsert + touch: every named registration heard a postback
   * now, and those with a row written now have postback-sourced progress.
   */
  async upsertPostbacksAndTouch(
    manager: EntityManager,
    writes: ProgressWrite[],
    registrationIds: string[],
    now: string,
  ): Promise<Set<string>> {
    const sql = new Sql(manager);
    const ids = [...registrationIds].sort();
    const params = writes.flatMap(rowParams);
    const at = params.length;
    const rows = await sql.query<WrittenRow[]>(
      `WITH up AS (${upsertSql(sql, writes.length, POSTBACK_GUARD)}), ` +
        `touched AS (UPDATE scorm_registrations SET updated_at = ${sql.mark(at)}, last_postback_at = ${sql.mark(at)}, ` +
        "progress_source = CASE WHEN id IN (SELECT registration_id FROM up) THEN 'postback' ELSE progress_source END " +
        `WHERE id IN (${sql.marks(ids.length, at + 1)})) ` +
        'SELECT registration_id, instance FROM up',
      [...params, now, ...ids],
    );
    return new Set(rows.map((row) => slotKey(row.registration_id, Number(row.instance))));
  }

  /** Applies each registration's bookkeeping; registrations needing the same change share one UPDATE. */
  async touch(manager: EntityManager, changes: Map<string, RegistrationChange>, now: string): Promise<void> {
    const sql = new Sql(manager);
    const groups = new Map<string, { columns: string[]; values: unknown[]; ids: string[] }>();
    for (const [id, change] of [...changes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const key = `${change.postback}|${change.synced}|${change.source}|${change.instance}`;
      let group = groups.get(key);
      if (!group) {
        const set: [string, unknown][] = [['updated_at', now]];
        if (change.postback) set.push(['last_postback_at', now]);
        if (change.synced) set.push(['last_synced_at', change.synced]);
        if (change.source) set.push(['progress_source', change.source]);
        if (change.instance !== null) set.push(['instance', change.instance]);
        group = { columns: set.map(([column]) => column), ids: [], values: set.map(([, value]) => value) };
        groups.set(key, group);
      }
      group.ids.push(id);
    }
    for (const { columns, ids, values } of groups.values()) {
      const set = columns.map((column, i) => `${column} = ${sql.mark(i)}`).join(', ');
      for (let from = 0; from < ids.length; from += ID_CHUNK) {
        const chunk = ids.slice(from, from + ID_CHUNK);
        await sql.query(
          `UPDATE scorm_registrations SET ${set} WHERE id IN (${sql.marks(chunk.length, values.length)})`,
          [...values, ...chunk],
        );
      }
    }
  }

  /**
   * Postback-only rows for an instance above `instance` written before `before` go, and the registration's
   * instance falls back to the highest one left. The postbacks themselves stay in the webhook's event store.
   */
  async dropPostbackInstancesAbove(
    manager: EntityManager,
    registrationId: string,
    instance: number,
    before: string,
  ): Promise<void> {
    const sql = new Sql(manager);
    await sql.query(
      `DELETE FROM ${PROGRESS} WHERE registration_id = ${sql.mark(0)} AND instance > ${sql.mark(1)} ` +
        `AND source = 'postback' AND updated_at < ${sql.mark(2)}`,
      [registrationId, instance, before],
    );
    await sql.query(
      `UPDATE scorm_registrations SET instance = (SELECT COALESCE(MAX(instance), ${sql.mark(0)}) FROM ${PROGRESS} ` +
        `WHERE registration_id = ${sql.mark(1)}) WHERE id = ${sql.mark(2)} AND instance > ${sql.mark(3)}`,
      [instance, registrationId, registrationId, instance],
    );
  }
}

function upsertSql(sql: Sql, rows: number, guard: string): string {
  const tuples: string[] = [];
  for (let row = 0; row < rows; row++) tuples.push(`(${sql.marks(WIDTH, row * WIDTH)})`);
  return (
    `INSERT INTO ${PROGRESS} (${PROGRESS_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')} ` +
    `ON CONFLICT (registration_id, instance) DO UPDATE SET ${UPDATE_SET} WHERE ${guard} ` +
    'RETURNING registration_id, instance'
  );
}

/** One row's parameters in PROGRESS_COLUMNS order; created_at and updated_at are when it was written. */
function rowParams(write: ProgressWrite): unknown[] {
  return [
    randomUUID(),
    write.registrationId,
    write.instance,
    ...write.values,
    write.updated,
    write.source,
    write.writtenAt,
    write.writtenAt,
  ];
}

interface WrittenRow {
  registration_id: string;
  instance: number | string;
}

interface ProgressRow {
  id: string;
  registration_instance: number | string;
  course_id: string;
  learner_id: string;
  context_id: string | null;
  instance: number | string | null;
  completion: string;
  success: string;
  score: number | string | null;
  total_seconds: number | string | null;
  first_access_at: string | null;
  last_access_at: string | null;
  completed_at: string | null;
  progress_updated_at: string | null;
  source: ProgressSource;
  updated_at: string | null;
}
