import { Clock } from '@app/common';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';

import { RegistrationProgressEntity } from './registration-progress.entity';
import type { ProgressApplyResult, RegistrationProgressUpdate } from './registration-progress.types';
import { RegistrationEntity } from './registration.entity';

const PROGRESS_FIELDS = [
  'completion',
  'success',
  'score',
  'totalSeconds',
  'firstAccessAt',
  'lastAccessAt',
  'completedAt',
] as const;

/**
 * The progress projection: one row per (registration, instance). Postbacks arrive at least once and out of
 * order, so an update only wins when its own `updated` is newer than the stored one.
 */
@Injectable()
export class RegistrationProgressService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async applyMany(updates: RegistrationProgressUpdate[], manager?: EntityManager): Promise<ProgressApplyResult[]> {
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
    const results: ProgressApplyResult[] = [];
    for (const update of updates) results.push(await this.applyOne(update, manager));
    return results;
  }

  private async applyOne(update: RegistrationProgressUpdate, manager: EntityManager): Promise<ProgressApplyResult> {
    const registrations = manager.getRepository(RegistrationEntity);
    const registration = await registrations.findOne({ where: { id: update.registrationId } });
    if (!registration) return 'unknown_registration';
    const now = this.clock.now();
    const result = await this.upsertProgress(update, manager, now);

    const touch: Partial<RegistrationEntity> = { updatedAt: now };
    if (update.source === 'postback') touch.lastPostbackAt = now;
    else touch.lastSyncedAt = now;
    if (result === 'applied') {
      touch.progressSource = update.source;
      if (update.instance > registration.instance) touch.instance = update.instance;
    }
    await registrations.update({ id: registration.id }, touch);
    return result;
  }

  private async upsertProgress(
    update: RegistrationProgressUpdate,
    manager: EntityManager,
    now: Date,
  ): Promise<ProgressApplyResult> {
    const repo = manager.getRepository(RegistrationProgressEntity);
    const values = {
      completedAt: update.completedDate,
      completion: update.completion,
      firstAccessAt: update.firstAccessDate,
      lastAccessAt: update.lastAccessDate,
      progressUpdatedAt: update.updated,
      score: update.score,
      source: update.source,
      success: update.success,
      totalSeconds: update.totalSeconds,
      updatedAt: now,
    };
    const where = { instance: update.instance, registrationId: update.registrationId };
    let existing = await repo.findOne({ where });
    if (!existing) {
      // ON CONFLICT DO NOTHING: a concurrent delivery for the same instance may insert first; then compare below.
      await repo
        .createQueryBuilder()
        .insert()
        .values({ ...values, ...where, createdAt: now, id: randomUUID() })
        .orIgnore()
        .execute();
      existing = await repo.findOne({ where });
      if (existing && sameProgress(existing, values) && sameTime(existing.progressUpdatedAt, update.updated)) {
        return 'applied';
      }
      if (!existing) return 'stale';
    }
    if (!isNewer(update.updated, existing.progressUpdatedAt, () => sameProgress(existing, values))) return 'stale';

    // The WHERE repeats the ordering check so a newer row written meanwhile is never overwritten.
    const query = repo.createQueryBuilder().update().set(values).where('id = :id', { id: existing.id });
    if (update.updated) {
      query.andWhere('(progress_updated_at IS NULL OR progress_updated_at < :updated)', {
        updated: update.updated.toISOString(),
      });
    }
    const { affected } = await query.execute();
    return affected === 0 ? 'stale' : 'applied';
  }
}

function sameTime(a: Date | null, b: Date | null): boolean {
  return (a?.getTime() ?? null) === (b?.getTime() ?? null);
}

function sameProgress(
  row: RegistrationProgressEntity,
  values: Pick<RegistrationProgressEntity, (typeof PROGRESS_FIELDS)[number]>,
) {
  return PROGRESS_FIELDS.every((field) => {
    const a = row[field];
    const b = values[field];
    return a instanceof Date || b instanceof Date ? sameTime(a as Date | null, b as Date | null) : a === b;
  });
}

/**
 * An update with a time wins over an older or untimed row; an untimed update (some v1 reports carry none)
 * wins over an untimed row unless it changes nothing, and never over a timed one.
 */
function isNewer(updated: Date | null, stored: Date | null, unchanged: () => boolean): boolean {
  if (updated && stored) return updated.getTime() > stored.getTime();
  if (updated) return true;
  if (stored) return false;
  return !unchanged();
}
