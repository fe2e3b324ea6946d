import { Clock } from '@app/common';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';

import { RegistrationProgressEntity } from './registration-progress.entity';
import type { ProgressApplyResult, RegistrationProgressUpdate } from './registration-progress.types';
import type { ProgressSource } from './registration.entity';

/** Rows per upsert statement: 14 parameters each stays far below SQLite's and PostgreSQL's limits. */
const UPSERT_CHUNK = 500;
/** Ids per `IN (...)` list. */
const ID_CHUNK = 1000;
const PROGRESS = 'scorm_registration_progress';
const UPSERT_COLUMNS =
  'id, registration_id, instance, completion, success, score, total_seconds, first_access_at, last_access_at, ' +
  'completed_at, progress_updated_at, source, created_at, updated_at';
const UPDATE_SET = [
  'completion',
  'success',
  'score',
  'total_seconds',
  'first_access_at',
  'last_access_at',
  'completed_at',
  'progress_updated_at',
  'source',
  'updated_at',
]
  .map((column) => `${column} = excluded.${column}`)
  .join(', ');
/**
 * Repeats the ordering rule in the database, against a row a concurrent transaction committed after our read
 * (PostgreSQL): a timed update beats an older or untimed row; an untimed one never beats a timed row.
 * ISO-8601 UTC strings of one width compare correctly as text.
 */
const NEWER_THAN_STORED = `(${PROGRESS}.progress_updated_at IS NULL OR ${PROGRESS}.progress_updated_at < excluded.progress_updated_at)`;

/** Stored or pending progress of one (registration, instance), every date as its ISO string. */
interface Slot {
  registrationId: string;
  instance: number;
  /** completion, success, score, total seconds, first access, last access, completed: in UPSERT_COLUMNS order. */
  values: unknown[];
  updated: string | null;
  source: ProgressSource;
  /** When the gateway wrote the row (its `updated_at`); null for a slot only this batch wrote. */
  writtenAt: string | null;
  /** The update that last won this slot in this batch; undefined while the slot is as stored. */
  winner?: RegistrationProgressUpdate;
}

interface RegistrationState {
  instance: number;
}

/**
 * The progress projection: one row per (registration, instance). Postbacks arrive at least once and out of
 * order, so an update only wins when its own `updated` is newer than the stored one. The SCORM Cloud API is
 * the authority: an API read replaces progress that came only from postbacks received before the read began
 * (a forged postback may be dated up to the receiver's allowed clock skew ahead), but never a postback that
 * arrived while the read was under way.
 *
 * Set-based, because the webhook applies a whole group commit of postbacks in one call: one read of the
 * registrations with their progress, one upsert per 500 rows, one registration update per kind of change.
 */
@Injectable()
export class RegistrationProgressService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async applyMany(updates: RegistrationProgressUpdate[], manager?: EntityManager): Promise<ProgressApplyResult[]> {
    if (!updates.length) return [];
    if (manager) return this.applyAll(updates, manager);
    return this.dataSource.transaction((tx) => this.applyAll(updates, tx));
  }

  async progressOf(registrationIds: string[]): Promise<Map<string, RegistrationProgressEntity[]>> {
    const result = new Map<string, RegistrationProgressEntity[]>();
    if (!registrationIds.length) return result;
    const rows = await this.dataSource
      .getRepository(RegistrationProgressEntity)
      .createQueryBuilder('p')
      .where('p.registration_id IN (:...ids)', { ids: registrationIds })
      .orderBy('p.instance', 'ASC')
      .getMany();
    for (const row of rows) result.set(row.registrationId, [...(result.get(row.registrationId) ?? []), row]);
    return result;
  }

  private async applyAll(
    updates: RegistrationProgressUpdate[],
    manager: EntityManager,
  ): Promise<ProgressApplyResult[]> {
    const sql = new Sql(manager);
    const now = this.clock.now().toISOString();
    const { registrations, slots } = await this.load(sql, updates);

    const results: ProgressApplyResult[] = new Array(updates.length);
    const slotOf: (Slot | undefined)[] = new Array(updates.length);
    for (let i = 0; i < updates.length; i++) {
      const update = updates[i];
      if (!registrations.has(update.registrationId)) {
        results[i] = 'unknown_registration';
        continue;
      }
      const key = slotKey(update.registrationId, update.instance);
      const values = valuesOf(update);
      const updated = iso(update.updated);
      let slot = slots.get(key);
      if (slot && !wins(update, values, updated, slot)) {
        results[i] = 'stale';
        continue;
      }
      if (!slot) {
        slot = {
          instance: update.instance,
          registrationId: update.registrationId,
          source: update.source,
          values,
          updated,
          writtenAt: null,
        };
        slots.set(key, slot);
      }
      // Later updates in the same batch compare against this one, as if it had been stored already.
      Object.assign(slot, { source: update.source, updated, values, winner: update, writtenAt: now });
      results[i] = 'applied';
      slotOf[i] = slot;
    }

    const winners = [...slots.values()].filter((slot) => slot.winner);
    const fused = sql.postgres && this.isPlainPostbackBatch(updates, registrations, winners);
    const written = fused
      ? await this.upsertAndTouch(sql, winners, [...registrations.keys()], now)
      : await this.upsert(sql, winners, now);
    // A row a concurrent transaction made newer meanwhile kept its data: those updates did not apply.
    for (let i = 0; i < updates.length; i++) {
      const slot = slotOf[i];
      if (slot && !written.has(slotKey(slot.registrationId, slot.instance))) results[i] = 'stale';
    }
    if (!fused) await this.touchRegistrations(sql, updates, results, registrations, now);
    for (const update of updates) {
      if (update.source === 'api' && update.readStartedAt && registrations.has(update.registrationId)) {
        await this.dropUnconfirmedInstances(sql, update, update.readStartedAt);
      }
    }
    return results;
  }

  /**
   * The API names the registration's latest instance, so postback-only rows for a higher instance written
   * before the read began cannot be genuine (a forged `instance`); they go, and the registration's instance
   * falls back to the highest one left. The postbacks themselves stay in the webhook's event store.
   */
  private async dropUnconfirmedInstances(sql: Sql, update: RegistrationProgressUpdate, readStartedAt: Date) {
    const readAt = readStartedAt.toISOString();
    await sql.query(
      `DELETE FROM ${PROGRESS} WHERE registration_id = ${sql.mark(0)} AND instance > ${sql.mark(1)} ` +
        `AND source = 'postback' AND updated_at < ${sql.mark(2)}`,
      [update.registrationId, update.instance, readAt],
    );
    await sql.query(
      `UPDATE scorm_registrations SET instance = (SELECT COALESCE(MAX(instance), ${sql.mark(0)}) FROM ${PROGRESS} ` +
        `WHERE registration_id = ${sql.mark(1)}) WHERE id = ${sql.mark(2)} AND instance > ${sql.mark(3)}`,
      [update.instance, update.registrationId, update.registrationId, update.instance],
    );
  }

  /** The webhook's usual batch: postbacks only, no new instance, one statement's worth of rows. */
  private isPlainPostbackBatch(
    updates: RegistrationProgressUpdate[],
    registrations: Map<string, RegistrationState>,
    winners: Slot[],
  ): boolean {
    if (!winners.length || winners.length > UPSERT_CHUNK || registrations.size > ID_CHUNK) return false;
    return updates.every((update) => {
      const registration = registrations.get(update.registrationId);
      return update.source === 'postback' && (!registration || update.instance <= registration.instance);
    });
  }

  /**
   * PostgreSQL, postbacks only: the upsert and the registrations' bookkeeping in one statement (one round
   * trip fewer per batch). Same effect as upsert + touchRegistrations: every known registration heard a
   * postback now, and those with a row written now have postback-sourced progress.
   */
  private async upsertAndTouch(sql: Sql, slots: Slot[], ids: string[], now: string): Promise<Set<string>> {
    slots.sort(bySlot);
    ids.sort();
    const params = slots.flatMap((slot) => this.rowParams(slot, now));
    const at = params.length;
    const rows = await sql.query<WrittenRow[]>(
      `WITH up AS (${this.upsertSql(sql, slots.length, NEWER_THAN_STORED)}), ` +
        `touched AS (UPDATE scorm_registrations SET updated_at = ${sql.mark(at)}, last_postback_at = ${sql.mark(at)}, ` +
        "progress_source = CASE WHEN id IN (SELECT registration_id FROM up) THEN 'postback' ELSE progress_source END " +
        `WHERE id IN (${sql.marks(ids.length, at + 1)})) ` +
        'SELECT registration_id, instance FROM up',
      [...params, now, ...ids],
    );
    return new Set(rows.map((row) => slotKey(row.registration_id, Number(row.instance))));
  }

  /** The registrations named in the batch (unknown ones are absent) and every progress row they have. */
  private async load(
    sql: Sql,
    updates: RegistrationProgressUpdate[],
  ): Promise<{ registrations: Map<string, RegistrationState>; slots: Map<string, Slot> }> {
    const registrations = new Map<string, RegistrationState>();
    const slots = new Map<string, Slot>();
    const ids = [...new Set(updates.map((update) => update.registrationId))];
    for (let from = 0; from < ids.length; from += ID_CHUNK) {
      const chunk = ids.slice(from, from + ID_CHUNK);
      const rows = (await sql.query(
        'SELECT r.id, r.instance AS registration_instance, p.instance, p.completion, p.success, p.score, ' +
          'p.total_seconds, p.first_access_at, p.last_access_at, p.completed_at, p.progress_updated_at, p.source, ' +
          `p.updated_at FROM scorm_registrations r LEFT JOIN ${PROGRESS} p ON p.registration_id = r.id ` +
          `WHERE r.id IN (${sql.marks(chunk.length)})`,
        chunk,
      )) as ProgressRow[];
      for (const row of rows) {
        if (!registrations.has(row.id)) registrations.set(row.id, { instance: Number(row.registration_instance) });
        if (row.instance === null || row.instance === undefined) continue;
        const instance = Number(row.instance);
        slots.set(slotKey(row.id, instance), {
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
    return { registrations, slots };
  }

  /** Writes the winning slots; answers the keys the database really wrote. */
  private async upsert(sql: Sql, slots: Slot[], now: string): Promise<Set<string>> {
    const written = new Set<string>();
    if (!slots.length) return written;
    // PostgreSQL: concurrent batches lock rows in one order, so they cannot deadlock each other.
    slots.sort(bySlot);
    const record = (rows: WrittenRow[]) =>
      rows.forEach((row) => written.add(slotKey(row.registration_id, Number(row.instance))));
    const plain: Slot[] = [];
    for (const slot of slots) {
      const readStartedAt = slot.winner!.source === 'api' ? slot.winner!.readStartedAt : undefined;
      if (!readStartedAt) {
        plain.push(slot);
        continue;
      }
      // An API read also replaces postback-only data received before the read began, whatever its `updated`.
      record(
        await sql.query<WrittenRow[]>(
          this.upsertSql(
            sql,
            1,
            `(${NEWER_THAN_STORED} OR (${PROGRESS}.source = 'postback' AND ${PROGRESS}.updated_at < ${sql.mark(14)}))`,
          ),
          [...this.rowParams(slot, now), readStartedAt.toISOString()],
        ),
      );
    }
    for (let from = 0; from < plain.length; from += UPSERT_CHUNK) {
      const chunk = plain.slice(from, from + UPSERT_CHUNK);
      record(
        await sql.query<WrittenRow[]>(
          this.upsertSql(sql, chunk.length, NEWER_THAN_STORED),
          chunk.flatMap((slot) => this.rowParams(slot, now)),
        ),
      );
    }
    return written;
  }

  private upsertSql(sql: Sql, rows: number, guard: string): string {
    const tuples: string[] = [];
    for (let row = 0; row < rows; row++) tuples.push(`(${sql.marks(14, row * 14)})`);
    return (
      `INSERT INTO ${PROGRESS} (${UPSERT_COLUMNS}) VALUES ${tuples.join(', ')} ` +
      `ON CONFLICT (registration_id, instance) DO UPDATE SET ${UPDATE_SET} WHERE ${guard} ` +
      'RETURNING registration_id, instance'
    );
  }

  private rowParams(slot: Slot, now: string): unknown[] {
    return [randomUUID(), slot.registrationId, slot.instance, ...slot.values, slot.updated, slot.source, now, now];
  }

  /**
   * When the registration last heard a postback / an API read, where its applied data came from, and its
   * highest instance; registrations needing the same change share one UPDATE.
   */
  private async touchRegistrations(
    sql: Sql,
    updates: RegistrationProgressUpdate[],
    results: ProgressApplyResult[],
    registrations: Map<string, RegistrationState>,
    now: string,
  ): Promise<void> {
    const changes = new Map<string, RegistrationChange>();
    for (let i = 0; i < updates.length; i++) {
      if (results[i] === 'unknown_registration') continue;
      const { instance, readStartedAt, registrationId, source } = updates[i];
      let change = changes.get(registrationId);
      if (!change)
        changes.set(registrationId, (change = { instance: null, postback: false, source: null, synced: null }));
      if (source === 'postback') change.postback = true;
      else {
        // An API answer shows SCORM Cloud's state as of when the read began: a postback that arrived during the
        // read stays newer than this sync, so reconciliation checks it again.
        const synced = readStartedAt && readStartedAt.toISOString() < now ? readStartedAt.toISOString() : now;
        if (!change.synced || synced < change.synced) change.synced = synced;
      }
      if (results[i] !== 'applied') continue;
      change.source = source;
      if (instance > Math.max(change.instance ?? 0, registrations.get(registrationId)!.instance))
        change.instance = instance;
    }
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
        const columns = set.map(([column]) => column);
        const values = set.map(([, value]) => value);
        groups.set(key, (group = { columns, ids: [], values }));
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
}

interface RegistrationChange {
  postback: boolean;
  /** The new last_synced_at, when an API read is among the updates. */
  synced: string | null;
  source: ProgressSource | null;
  instance: number | null;
}

interface WrittenRow {
  registration_id: string;
  instance: number | string;
}

interface ProgressRow {
  id: string;
  registration_instance: number | string;
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

/** Raw SQL through the caller's manager (so inside its transaction), with the driver's placeholder style. */
class Sql {
  readonly postgres: boolean;

  constructor(private readonly manager: EntityManager) {
    this.postgres = manager.connection.options.type === 'postgres';
  }

  /** The placeholder for the 0-based parameter `index`. */
  mark(index: number): string {
    return this.postgres ? `$${index + 1}` : '?';
  }

  marks(count: number, from = 0): string {
    if (!this.postgres) return count === 1 ? '?' : '?, '.repeat(count - 1) + '?';
    const marks: string[] = [];
    for (let i = 0; i < count; i++) marks.push(`$${from + i + 1}`);
    return marks.join(', ');
  }

  async query<T = unknown>(text: string, params: unknown[]): Promise<T> {
    const client = this.postgres ? pgClientOf(this.manager) : undefined;
    if (!client) return (await this.manager.query(text, params)) as T;
    // Named, so each connection's server parses and plans a statement once: +20-25% postbacks/s measured.
    let name = STATEMENT_NAMES.get(text);
    if (!name && STATEMENT_NAMES.size < MAX_NAMED_STATEMENTS) {
      STATEMENT_NAMES.set(text, (name = `gw_progress_${STATEMENT_NAMES.size}`));
    }
    return (await client.query({ name, text, values: params })).rows as T;
  }
}

/**
 * PostgreSQL prepared-statement names by SQL text. Batch sizes vary, so texts do too: the cap bounds what
 * each pooled connection keeps prepared; rarer texts beyond it run unnamed.
 */
const STATEMENT_NAMES = new Map<string, string>();
const MAX_NAMED_STATEMENTS = 128;

/** The pg client of the caller's transaction (so the statement runs inside it), if there is one. */
function pgClientOf(manager: EntityManager): PgClient | undefined {
  const runner = manager.queryRunner as (QueryRunner & { databaseConnection?: PgClient }) | undefined;
  return runner?.isTransactionActive && !runner.isReleased ? runner.databaseConnection : undefined;
}

interface PgClient {
  query(config: { name?: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

const iso = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);
const slotKey = (registrationId: string, instance: number) => `${instance}|${registrationId}`;
const bySlot = (a: Slot, b: Slot) =>
  a.registrationId < b.registrationId ? -1 : a.registrationId > b.registrationId ? 1 : a.instance - b.instance;

function valuesOf(update: RegistrationProgressUpdate): unknown[] {
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

/**
 * Whether `update` replaces `slot`. An API read replaces postback-only data written before the read began.
 * Otherwise an update with a time wins over an older or untimed row (equal is a no-op); an untimed update
 * (some v1 reports carry none) wins over an untimed row unless it changes nothing, and never over a timed one.
 */
function wins(update: RegistrationProgressUpdate, values: unknown[], updated: string | null, slot: Slot): boolean {
  if (
    update.source === 'api' &&
    update.readStartedAt &&
    slot.source === 'postback' &&
    slot.writtenAt !== null &&
    slot.writtenAt < update.readStartedAt.toISOString()
  ) {
    return true;
  }
  if (updated && slot.updated) return updated > slot.updated;
  if (updated) return true;
  if (slot.updated) return false;
  return !values.every((value, i) => value === slot.values[i]);
}
