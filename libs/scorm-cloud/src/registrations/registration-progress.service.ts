import { Clock } from '@app/common';
import { EventOutbox } from '@app/events';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { RegistrationProgressEntity } from '../entities/registration-progress.entity';
import {
  ID_CHUNK,
  ProgressState,
  RegistrationProgressRepository,
  UPSERT_CHUNK,
} from '../repositories/registration-progress.repository';
import { progressEvents } from './progress-events';
import { ProgressPlan, observedAt, planProgress, registrationChanges, settleResults } from './progress-merge.rule';
import type { ProgressApplyResult, RegistrationProgressUpdate } from './registration-progress.types';

/**
 * The progress projection: one row per (registration, instance), fed by postbacks and API reads under the
 * ordering rule of progress-merge.rule.ts. Set-based, because the webhook applies a whole group commit of
 * postbacks in one call: one read of the registrations with their progress, one upsert per 500 rows, one
 * registration update per kind of change.
 */
@Injectable()
export class RegistrationProgressService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly repository: RegistrationProgressRepository,
    private readonly clock: Clock,
    private readonly outbox: EventOutbox,
  ) {}

  /** Applies the updates in the caller's transaction (or a new one); answers what became of each. */
  async applyMany(updates: RegistrationProgressUpdate[], manager?: EntityManager): Promise<ProgressApplyResult[]> {
    if (!updates.length) return [];
    if (manager) return this.applyAll(updates, manager);
    return this.dataSource.transaction((tx) => this.applyAll(updates, tx));
  }

  progressOf(registrationIds: string[]): Promise<Map<string, RegistrationProgressEntity[]>> {
    return this.repository.progressOf(registrationIds);
  }

  private async applyAll(
    updates: RegistrationProgressUpdate[],
    manager: EntityManager,
  ): Promise<ProgressApplyResult[]> {
    const now = this.clock.now().toISOString();
    const ids = [...new Set(updates.map((update) => update.registrationId))];
    const state = await this.repository.load(manager, ids);
    const plan = planProgress(updates, new Set(state.instances.keys()), state.slots, now);
    const fused = manager.connection.options.type === 'postgres' && isPlainPostbackBatch(updates, state, plan);
    const written = fused
      ? await this.repository.upsertPostbacksAndTouch(manager, plan.writes, [...state.instances.keys()], now)
      : await this.repository.upsert(manager, plan.writes);
    settleResults(plan, written, updates);
    if (!fused) {
      await this.repository.touch(manager, registrationChanges(updates, plan.results, state.instances, now), now);
    }
    // The API names the registration's latest instance, so postback-only rows for a higher instance received
    // before the read began cannot be genuine (a forged `instance`).
    for (const update of updates) {
      if (update.source === 'api' && update.observedAt && state.instances.has(update.registrationId)) {
        await this.repository.dropPostbackInstancesAbove(
          manager,
          update.registrationId,
          update.instance,
          observedAt(update, now),
        );
      }
    }
    // Last: the outbox's append holds its lock until the commit (see EventRepository.append).
    await this.outbox.append(manager, progressEvents(plan, written, state.refs, new Date(now)));
    return plan.results;
  }
}

/** The webhook's usual batch: postbacks only, no new instance, one statement's worth of rows. */
function isPlainPostbackBatch(updates: RegistrationProgressUpdate[], state: ProgressState, plan: ProgressPlan) {
  if (!plan.writes.length || plan.writes.length > UPSERT_CHUNK || state.instances.size > ID_CHUNK) return false;
  return updates.every((update) => {
    const instance = state.instances.get(update.registrationId);
    return update.source === 'postback' && (instance === undefined || update.instance <= instance);
  });
}
