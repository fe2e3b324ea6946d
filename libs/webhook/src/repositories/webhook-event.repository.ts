import { Sql } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';

import { WebhookEventEntity } from '../entities/webhook-event.entity';
import type { PostbackOutcome } from '../entities/webhook-event.entity';

export interface WebhookEventFilter {
  registrationId?: string;
  learnerId?: string;
  courseId?: string;
  outcome?: PostbackOutcome;
  receivedFrom?: Date;
  receivedBefore?: Date;
  /** Keyset: only events strictly older than this id (the last id of the previous page). */
  beforeId?: string;
}

/**
 * An event id starts with its millisecond timestamp (UUIDv7), and an id is made a moment after the postback was
 * received, so a time range is also an id range: the query seeks the primary key and checks received_at only on
 * the rows in it. The slack covers the gap between receipt and id (a queued batch) and ids borrowing the next
 * millisecond under a burst.
 */
const ID_TIME_SLACK_MS = 5 * 60_000;

/**
 * SQLite, which has no learner or course index: a learner has a handful of registrations; past this many the filter
 * walks the primary key instead.
 */
const FEW_REGISTRATIONS = 50;
/** Up to this many, the walk checks rows against the registrations as a list; beyond, against a sub-select. */
const LISTED_REGISTRATIONS = 5000;

/** `:name` placeholders (the query builder's) as the dialect's positional ones, appending their values. */
function positional(sql: Sql, text: string, params: Record<string, unknown>, values: unknown[]): string {
  return text.replace(/:(\w+)/g, (_, name: string) => sql.mark(values.push(params[name]) - 1));
}

/** The first characters of any event id made at `ms` or later sort at or after this prefix. */
export function eventIdPrefix(ms: number): string {
  const time = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}`;
}

/** The event store's reads and erasures; PostbackBatchWriter does the writes. */
@Injectable()
export class WebhookEventRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Newest first by id, `limit` rows at most. Each filter has an index (see AddWebhookEventListIndexes and
   * AddWebhookEventLearnerCourse): registration by (registration_id, id), the rare outcomes by a partial
   * (outcome, id) index, the time range by the primary key; on PostgreSQL learner by (learner_id, id) and course by
   * (course_id, id). SQLite has no index for those two, so they go through the registrations: when they name a few
   * (a learner), one seek per registration on (registration_id, id), merged; when they name many (a course), the
   * primary key walked newest first against the list, which finds a page quickly because such a course has many
   * postbacks.
   */
  async list(filter: WebhookEventFilter, limit: number, offset?: number): Promise<WebhookEventEntity[]> {
    let registrationIds: string[] | undefined;
    const copied = this.dataSource.options.type === 'postgres';
    const byRegistrations =
      !copied && !offset && filter.registrationId === undefined && (filter.learnerId ?? filter.courseId) !== undefined;
    if (byRegistrations) {
      const registrations = await this.registrationsOf(filter, LISTED_REGISTRATIONS + 1);
      if (!registrations.length) return [];
      if (registrations.length <= FEW_REGISTRATIONS) return this.listMerged(filter, registrations, limit);
      if (registrations.length <= LISTED_REGISTRATIONS) registrationIds = registrations;
    }
    const { text, params } = this.where(
      registrationIds ? { ...filter, courseId: undefined, learnerId: undefined } : filter,
    );
    const builder = this.dataSource
      .getRepository(WebhookEventEntity)
      .createQueryBuilder('e')
      .where(text || '1 = 1', params)
      .orderBy('e.id', 'DESC')
      .limit(limit);
    if (registrationIds) builder.andWhere('e.registration_id IN (:...registrationIds)', { registrationIds });
    if (offset) builder.offset(offset);
    return builder.getMany();
  }

  /** SQLite's statement for a few registrations' postbacks: one seek each, merged. */
  mergedIdsStatement(filter: WebhookEventFilter, registrationIds: string[], limit: number) {
    const sql = new Sql(this.dataSource.manager);
    const values: unknown[] = [];
    const { text, params } = this.where({ ...filter, courseId: undefined, learnerId: undefined });
    const rest = text ? ` AND ${text}` : '';
    const branches = registrationIds.map((registrationId) => {
      const bound = positional(
        sql,
        `e.registration_id = :registrationId${rest}`,
        { ...params, registrationId },
        values,
      );
      values.push(limit);
      return `SELECT * FROM (SELECT e.id FROM webhook_events e WHERE ${bound} ORDER BY e.id DESC LIMIT ${sql.mark(values.length - 1)}) b`;
    });
    values.push(limit);
    const union = branches.join(' UNION ALL ');
    return { text: `SELECT id FROM (${union}) m ORDER BY id DESC LIMIT ${sql.mark(values.length - 1)}`, values };
  }

  private async listMerged(filter: WebhookEventFilter, registrationIds: string[], limit: number) {
    const { text, values } = this.mergedIdsStatement(filter, registrationIds, limit);
    const ids = (await new Sql(this.dataSource.manager).query<{ id: string }[]>(text, values)).map((row) => row.id);
    if (!ids.length) return [];
    const rows = await this.dataSource.getRepository(WebhookEventEntity).findBy({ id: In(ids) });
    return rows.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  /** Registrations the learner and course filters name (both: their intersection), at most `limit`. */
  async registrationsOf(filter: WebhookEventFilter, limit: number): Promise<string[]> {
    const sql = new Sql(this.dataSource.manager);
    const terms: string[] = [];
    const values: unknown[] = [];
    if (filter.learnerId !== undefined) terms.push(`learner_id = ${sql.mark(values.push(filter.learnerId) - 1)}`);
    if (filter.courseId !== undefined) terms.push(`course_id = ${sql.mark(values.push(filter.courseId) - 1)}`);
    values.push(limit);
    const rows = await sql.query<{ id: string }[]>(
      `SELECT id FROM scorm_registrations WHERE ${terms.join(' AND ')} LIMIT ${sql.mark(values.length - 1)}`,
      values,
    );
    return rows.map((row) => row.id);
  }

  /** Every match: only the deprecated offset paging asks for it. */
  count(filter: WebhookEventFilter): Promise<number> {
    const { text, params } = this.where(filter);
    return this.dataSource
      .getRepository(WebhookEventEntity)
      .createQueryBuilder('e')
      .where(text || '1 = 1', params)
      .getCount();
  }

  /** The list's statement and plan, for the scale bench (EXPLAIN on PostgreSQL, EXPLAIN QUERY PLAN on SQLite). */
  async explainList(filter: WebhookEventFilter, limit: number): Promise<string> {
    const { text, params } = this.where(filter);
    const [query, values] = this.dataSource
      .getRepository(WebhookEventEntity)
      .createQueryBuilder('e')
      .select('e.id')
      .where(text || '1 = 1', params)
      .orderBy('e.id', 'DESC')
      .limit(limit)
      .getQueryAndParameters();
    const postgres = new Sql(this.dataSource.manager).postgres;
    const rows = (await this.dataSource.query(
      `${postgres ? 'EXPLAIN' : 'EXPLAIN QUERY PLAN'} ${query}`,
      values,
    )) as Record<string, unknown>[];
    return rows.map((row) => String(row['QUERY PLAN'] ?? row.detail)).join('\n');
  }

  /**
   * Empties the raw bodies of up to `limit` events made before `cutoff`, walking the primary key from `after`. The
   * parsed fields and the dedup key stay, so a late re-delivery is still known. An id made before the cutoff was
   * received before it, so nothing unexpired is touched.
   */
  async pruneBodies(
    manager: EntityManager,
    cutoff: Date,
    limit: number,
    after = '',
  ): Promise<{ walked: number; last?: string }> {
    const sql = new Sql(manager);
    const rows = await sql.query<{ id: string }[]>(
      `SELECT id FROM webhook_events WHERE id > ${sql.mark(0)} AND id < ${sql.mark(1)} ORDER BY id LIMIT ${sql.mark(2)}`,
      [after, eventIdPrefix(cutoff.getTime()), limit],
    );
    const last = rows[rows.length - 1]?.id;
    if (!last) return { walked: 0 };
    await sql.query(
      `UPDATE webhook_events SET raw_body = '' WHERE id > ${sql.mark(0)} AND id <= ${sql.mark(1)} AND raw_body <> ''`,
      [after, last],
    );
    return { last, walked: rows.length };
  }

  /** Deletes up to `limit` of the oldest events made before `cutoff` (the primary key's start); counts them. */
  async deleteOlderThan(manager: EntityManager, cutoff: Date, limit: number): Promise<number> {
    const sql = new Sql(manager);
    const rows = await sql.query<unknown[]>(
      `DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events WHERE id < ${sql.mark(0)} ` +
        `ORDER BY id LIMIT ${sql.mark(1)}) RETURNING id`,
      [eventIdPrefix(cutoff.getTime()), limit],
    );
    return rows.length;
  }

  /** A learner's postbacks, raw bodies and all, deleted with their registrations (learner data deletion). */
  async deleteForRegistrations(manager: EntityManager, registrationIds: string[]): Promise<number> {
    const sql = new Sql(manager);
    let deleted = 0;
    for (let i = 0; i < registrationIds.length; i += 500) {
      const chunk = registrationIds.slice(i, i + 500);
      const rows = await sql.query<unknown[]>(
        `DELETE FROM webhook_events WHERE registration_id IN (${sql.marks(chunk.length)}) RETURNING id`,
        chunk,
      );
      deleted += rows.length;
    }
    return deleted;
  }

  private where(filter: WebhookEventFilter): { text: string; params: Record<string, unknown> } {
    const terms: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.beforeId !== undefined) {
      terms.push('e.id < :beforeId');
      params.beforeId = filter.beforeId;
    }
    if (filter.registrationId !== undefined) {
      terms.push('e.registration_id = :registrationId');
      params.registrationId = filter.registrationId;
    }
    // Learner and course are the registration's. PostgreSQL: copied onto the postback when it was stored, the copy
    // finds the page on its index (the learner's when both are given, the more selective) and the registration
    // confirms each row. COALESCE keeps the planner from multiplying the check's selectivity into the copy's: it
    // would expect a handful of rows and sort all of a learner's, or JIT-compile a course's statement (tens of ms).
    // Either way a postback about a registration the gateway did not create (or has since deleted) matches neither.
    const copied = this.dataSource.options.type === 'postgres';
    const registrationHas = (column: string, param: string) =>
      copied
        ? `COALESCE((SELECT r.${column} FROM scorm_registrations r WHERE r.id = e.registration_id) = :${param}, false)`
        : `e.registration_id IN (SELECT r.id FROM scorm_registrations r WHERE r.${column} = :${param})`;
    if (filter.learnerId !== undefined) {
      if (copied) terms.push('e.learner_id = :learnerId');
      terms.push(registrationHas('learner_id', 'learnerId'));
      params.learnerId = filter.learnerId;
    }
    if (filter.courseId !== undefined) {
      if (copied && filter.learnerId === undefined) terms.push('e.course_id = :courseId');
      terms.push(registrationHas('course_id', 'courseId'));
      params.courseId = filter.courseId;
    }
    if (filter.outcome !== undefined) {
      terms.push('e.outcome = :outcome');
      // Spelled out so both planners match the partial index IDX_webhook_events_outcome (a bound value would not).
      if (filter.outcome !== 'applied') terms.push("e.outcome <> 'applied'");
      params.outcome = filter.outcome;
    }
    if (filter.receivedFrom) {
      terms.push('e.id >= :fromId AND e.received_at >= :receivedFrom');
      params.fromId = eventIdPrefix(filter.receivedFrom.getTime() - ID_TIME_SLACK_MS);
      params.receivedFrom = filter.receivedFrom.toISOString();
    }
    if (filter.receivedBefore) {
      terms.push('e.id < :beforeTimeId AND e.received_at < :receivedBefore');
      params.beforeTimeId = eventIdPrefix(filter.receivedBefore.getTime() + ID_TIME_SLACK_MS);
      params.receivedBefore = filter.receivedBefore.toISOString();
    }
    return { params, text: terms.join(' AND ') };
  }
}
