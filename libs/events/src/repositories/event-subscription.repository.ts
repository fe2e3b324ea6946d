import { Sql } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import type { SubscriptionSource, SubscriptionStatus } from '../entities/event-subscription.entity';

/** A subscription as the services see it (secrets still encrypted). */
export interface SubscriptionRecord {
  id: string;
  name: string | null;
  source: SubscriptionSource;
  url: string;
  description: string | null;
  eventTypes: string[];
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: number | null;
  status: SubscriptionStatus;
  disabledReason: string | null;
  disabledAt: string | null;
  failingSince: number | null;
  cursorSeq: number;
  createdAt: string;
  updatedAt: string;
}

export type NewSubscription = Pick<
  SubscriptionRecord,
  'id' | 'name' | 'source' | 'url' | 'description' | 'eventTypes' | 'secret'
>;

export type SubscriptionChanges = Partial<Pick<SubscriptionRecord, 'url' | 'description' | 'eventTypes' | 'name'>>;

const UNDECLARED = 'no longer declared in EVENT_SUBSCRIPTIONS';
/** Every column, as `toSubscription` reads them. */
export const SUBSCRIPTION_COLUMNS =
  'id, name, source, url, description, event_types, secret, previous_secret, previous_secret_expires_at, status, ' +
  'disabled_reason, disabled_at, failing_since, cursor_seq, created_at, updated_at';

/** One subscription, read through `sql` (the caller's connection or transaction). */
export async function readSubscription(sql: Sql, id: string): Promise<SubscriptionRecord | undefined> {
  const [row] = await sql.query<RawSubscription[]>(
    `SELECT ${SUBSCRIPTION_COLUMNS} FROM event_subscriptions WHERE id = ${sql.mark(0)}`,
    [id],
  );
  return row && toSubscription(row);
}

/** `event_subscriptions`' SQL. */
@Injectable()
export class EventSubscriptionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get sql(): Sql {
    return new Sql(this.dataSource.manager);
  }

  /** Inserts with the fan-out cursor at the outbox's end: a new endpoint gets the events from now on. */
  async create(row: NewSubscription, now: Date): Promise<SubscriptionRecord> {
    const sql = this.sql;
    await sql.query(
      `INSERT INTO event_subscriptions (id, name, source, url, description, event_types, secret, status, cursor_seq, ` +
        `created_at, updated_at) VALUES (${sql.marks(8)}, (SELECT COALESCE(MAX(seq), 0) FROM events), ` +
        `${sql.marks(2, 8)})`,
      [
        row.id,
        row.name,
        row.source,
        row.url,
        row.description,
        JSON.stringify(row.eventTypes),
        row.secret,
        'active',
        now.toISOString(),
        now.toISOString(),
      ],
    );
    return (await this.get(row.id))!;
  }

  /**
   * A config-declared subscription, by name: created (cursor at the outbox's end) or brought up to date. One
   * statement, so instances starting together create it once (the name is unique).
   */
  async upsertDeclared(row: NewSubscription & { name: string }, now: Date): Promise<void> {
    const sql = this.sql;
    await sql.query(
      `INSERT INTO event_subscriptions (id, name, source, url, description, event_types, secret, status, cursor_seq, ` +
        `created_at, updated_at) VALUES (${sql.marks(8)}, (SELECT COALESCE(MAX(seq), 0) FROM events), ` +
        `${sql.marks(2, 8)}) ON CONFLICT (name) DO UPDATE SET source = excluded.source, url = excluded.url, ` +
        `description = excluded.description, event_types = excluded.event_types, secret = excluded.secret, ` +
        // Declared again after being dropped from the configuration: active again (other disablings stay).
        `status = CASE WHEN event_subscriptions.disabled_reason = ${sql.mark(10)} THEN 'active' ` +
        `ELSE event_subscriptions.status END, disabled_reason = CASE WHEN event_subscriptions.disabled_reason = ` +
        `${sql.mark(11)} THEN NULL ELSE event_subscriptions.disabled_reason END, updated_at = excluded.updated_at`,
      [
        row.id,
        row.name,
        'config',
        row.url,
        row.description,
        JSON.stringify(row.eventTypes),
        row.secret,
        'active',
        now.toISOString(),
        now.toISOString(),
        UNDECLARED,
        UNDECLARED,
      ],
    );
  }

  /** Config-declared subscriptions no longer declared are disabled (kept, with their log). */
  async disableUndeclared(names: string[], now: Date): Promise<void> {
    const sql = this.sql;
    const keep = names.length ? ` AND name NOT IN (${sql.marks(names.length, 3)})` : '';
    await sql.query(
      `UPDATE event_subscriptions SET status = 'disabled', disabled_reason = ${sql.mark(0)}, ` +
        `disabled_at = ${sql.mark(1)}, updated_at = ${sql.mark(2)} ` +
        `WHERE source = 'config' AND status = 'active'${keep}`,
      [UNDECLARED, now.toISOString(), now.toISOString(), ...names],
    );
  }

  get(id: string): Promise<SubscriptionRecord | undefined> {
    return readSubscription(this.sql, id);
  }

  /** In id order after `afterId`. */
  async list(limit: number, afterId?: string): Promise<SubscriptionRecord[]> {
    const sql = this.sql;
    const rows = await sql.query<RawSubscription[]>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM event_subscriptions WHERE id > ${sql.mark(0)} ORDER BY id LIMIT ${sql.mark(1)}`,
      [afterId ?? '', limit],
    );
    return rows.map(toSubscription);
  }

  async active(): Promise<SubscriptionRecord[]> {
    const rows = await this.sql.query<RawSubscription[]>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM event_subscriptions WHERE status = 'active' ORDER BY id`,
      [],
    );
    return rows.map(toSubscription);
  }

  async update(id: string, changes: SubscriptionChanges, now: Date): Promise<void> {
    const sql = this.sql;
    const sets: string[] = [];
    const params: unknown[] = [];
    const set = (column: string, value: unknown) => {
      sets.push(`${column} = ${sql.mark(params.length)}`);
      params.push(value);
    };
    if (changes.url !== undefined) set('url', changes.url);
    if (changes.description !== undefined) set('description', changes.description);
    if (changes.eventTypes !== undefined) set('event_types', JSON.stringify(changes.eventTypes));
    if (changes.name !== undefined) set('name', changes.name);
    set('updated_at', now.toISOString());
    params.push(id);
    await sql.query(
      `UPDATE event_subscriptions SET ${sets.join(', ')} WHERE id = ${sql.mark(params.length - 1)}`,
      params,
    );
  }

  /** Enabling clears the failure streak; disabling records why and when. */
  async setStatus(id: string, status: SubscriptionStatus, reason: string | null, now: Date): Promise<void> {
    const sql = this.sql;
    await sql.query(
      `UPDATE event_subscriptions SET status = ${sql.mark(0)}, disabled_reason = ${sql.mark(1)}, ` +
        `disabled_at = ${sql.mark(2)}, failing_since = NULL, updated_at = ${sql.mark(3)} WHERE id = ${sql.mark(4)}`,
      [status, reason, status === 'disabled' ? now.toISOString() : null, now.toISOString(), id],
    );
  }

  /** The secret becomes `secret`; the old one keeps signing until `previousExpiresAt` (epoch ms). */
  async rotate(id: string, secret: string, previousExpiresAt: number, now: Date): Promise<void> {
    const sql = this.sql;
    await sql.query(
      `UPDATE event_subscriptions SET previous_secret = secret, previous_secret_expires_at = ${sql.mark(0)}, ` +
        `secret = ${sql.mark(1)}, updated_at = ${sql.mark(2)} WHERE id = ${sql.mark(3)}`,
      [previousExpiresAt, secret, now.toISOString(), id],
    );
  }

  /** Removes the subscription with its deliveries and their log. */
  async delete(id: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const sql = new Sql(manager);
      await sql.query(`DELETE FROM event_delivery_attempts WHERE subscription_id = ${sql.mark(0)}`, [id]);
      await sql.query(`DELETE FROM event_deliveries WHERE subscription_id = ${sql.mark(0)}`, [id]);
      const gone = await sql.query<unknown[]>(
        `DELETE FROM event_subscriptions WHERE id = ${sql.mark(0)} RETURNING id`,
        [id],
      );
      return gone.length > 0;
    });
  }

  /** Starts (or continues) a failure streak; answers its start and the database's now, both epoch ms. */
  async markFailing(id: string): Promise<{ failingSince: number; now: number } | undefined> {
    const sql = this.sql;
    const [row] = await sql.query<{ failing_since: number | string; now: number | string }[]>(
      `UPDATE event_subscriptions SET failing_since = COALESCE(failing_since, ${sql.nowMs()}) ` +
        `WHERE id = ${sql.mark(0)} RETURNING failing_since, ${sql.nowMs()} AS now`,
      [id],
    );
    return row && { failingSince: Number(row.failing_since), now: Number(row.now) };
  }

  /** A success ends the failure streak. */
  async markHealthy(id: string): Promise<void> {
    const sql = this.sql;
    await sql.query(
      `UPDATE event_subscriptions SET failing_since = NULL WHERE id = ${sql.mark(0)} AND failing_since IS NOT NULL`,
      [id],
    );
  }

  /**
   * Disables an active subscription, recording why; false when it was not active, or when it changed since
   * `seen` (its `updatedAt` when the verdict's attempt began): an answer to an attempt made before an admin
   * re-enabled the endpoint must not disable it again. The delivery waits and its next attempt judges afresh.
   */
  async disable(id: string, reason: string, now: Date, seen: SubscriptionRecord['updatedAt']): Promise<boolean> {
    const sql = this.sql;
    const rows = await sql.query<unknown[]>(
      `UPDATE event_subscriptions SET status = 'disabled', disabled_reason = ${sql.mark(0)}, ` +
        `disabled_at = ${sql.mark(1)}, updated_at = ${sql.mark(2)} WHERE id = ${sql.mark(3)} AND status = 'active' ` +
        `AND updated_at = ${sql.mark(4)} RETURNING id`,
      [reason.slice(0, 255), now.toISOString(), now.toISOString(), id, seen],
    );
    return rows.length > 0;
  }
}

export interface RawSubscription {
  id: string;
  name: string | null;
  source: SubscriptionSource;
  url: string;
  description: string | null;
  event_types: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: number | string | null;
  status: SubscriptionStatus;
  disabled_reason: string | null;
  disabled_at: string | null;
  failing_since: number | string | null;
  cursor_seq: number | string;
  created_at: string;
  updated_at: string;
}

const num = (value: number | string | null): number | null => (value === null ? null : Number(value));

export const toSubscription = (row: RawSubscription): SubscriptionRecord => ({
  createdAt: row.created_at,
  cursorSeq: Number(row.cursor_seq),
  description: row.description,
  disabledAt: row.disabled_at,
  disabledReason: row.disabled_reason,
  eventTypes: JSON.parse(row.event_types) as string[],
  failingSince: num(row.failing_since),
  id: row.id,
  name: row.name,
  previousSecret: row.previous_secret,
  previousSecretExpiresAt: num(row.previous_secret_expires_at),
  secret: row.secret,
  source: row.source,
  status: row.status,
  updatedAt: row.updated_at,
  url: row.url,
});
