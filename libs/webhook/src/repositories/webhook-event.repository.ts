import { Sql } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

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
   * AddWebhookEventLearnerCourse): registration by (registration_id, id), learner by (learner_id, id), course by
   * (course_id, id), the rare outcomes by a partial (outcome, id) index, the time range by the primary key.
   */
  async list(filter: WebhookEventFilter, limit: number, offset?: number): Promise<WebhookEventEntity[]> {
    const { text, params } = this.where(filter);
    const builder = this.dataSource
      .getRepository(WebhookEventEntity)
      .createQueryBuilder('e')
      .where(text || '1 = 1', params)
      .orderBy('e.id', 'DESC')
      .limit(limit);
    if (offset) builder.offset(offset);
    return builder.getMany();
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
    // Learner and course are the registration's, copied onto the postback when it was stored: the copy finds the
    // page on its index (the learner's when both are given, the more selective), the registration confirms each
    // row, so a postback about a registration the gateway did not create (or has since deleted) matches neither.
    // COALESCE keeps PostgreSQL's planner from multiplying the check's selectivity into the copy's: it would
    // expect a handful of rows and sort all of a learner's, or JIT-compile a course's statement (tens of ms).
    const registrationHas = (column: string, param: string) =>
      `COALESCE((SELECT r.${column} FROM scorm_registrations r WHERE r.id = e.registration_id) = :${param}, false)`;
    if (filter.learnerId !== undefined) {
      terms.push(`e.learner_id = :learnerId AND ${registrationHas('learner_id', 'learnerId')}`);
      params.learnerId = filter.learnerId;
    }
    if (filter.courseId !== undefined) {
      if (filter.learnerId === undefined) terms.push('e.course_id = :courseId');
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
