import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, EntityManager, In } from 'typeorm';

import { RegistrationProgressEntity } from '../entities/registration-progress.entity';
import { RegistrationEntity } from '../entities/registration.entity';

/** Launched registrations that never reported are re-checked for this long, then left alone. */
const RECONCILE_WINDOW_MS = 7 * 24 * 3600_000;

/** Registrations as the gateway keeps them; their progress rows go with them. */
@Injectable()
export class RegistrationRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get registrations() {
    return this.dataSource.getRepository(RegistrationEntity);
  }

  findById(id: string): Promise<RegistrationEntity | null> {
    return this.registrations.findOne({ where: { id } });
  }

  exists(id: string): Promise<boolean> {
    return this.registrations.exist({ where: { id } });
  }

  async insert(registration: RegistrationEntity): Promise<void> {
    await this.registrations.insert(registration);
  }

  build(fields: Partial<RegistrationEntity>): RegistrationEntity {
    return this.registrations.create(fields);
  }

  findByLearner(learnerId: string): Promise<RegistrationEntity[]> {
    return this.registrations.find({ order: { createdAt: 'ASC' }, where: { learnerId } });
  }

  /** Deletes registrations and their progress together. */
  async delete(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.dataSource.transaction(async (tx) => {
      await tx.getRepository(RegistrationProgressEntity).delete({ registrationId: In(ids) });
      await tx.getRepository(RegistrationEntity).delete({ id: In(ids) });
    });
  }

  async deleteByCourse(courseId: string): Promise<void> {
    const rows = await this.registrations.find({ select: { id: true }, where: { courseId } });
    await this.delete(rows.map((row) => row.id));
  }

  async markLaunched(id: string, at: Date): Promise<void> {
    await this.registrations.update({ id }, { launchedAt: at, updatedAt: at });
  }

  /**
   * SCORM Cloud no longer has it: kept with its progress, and never asked about again. `then` runs in the same
   * transaction, only for the call that marked it (so its announcement is made once).
   */
  async markDeletedUpstream(
    id: string,
    at: Date,
    then: (manager: EntityManager, registration: RegistrationEntity) => Promise<void>,
  ): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const result = await tx
        .createQueryBuilder()
        .update(RegistrationEntity)
        .set({ deletedUpstreamAt: at, lastSyncedAt: at, updatedAt: at })
        .where('id = :id AND deleted_upstream_at IS NULL', { id })
        .execute();
      const registration = result.affected ? await tx.findOne(RegistrationEntity, { where: { id } }) : null;
      if (registration) await then(tx, registration);
    });
  }

  /**
   * Registrations whose postback is overdue (launched, nothing heard since launch for `overdueAfterMs`) or whose
   * stored progress came only from a postback not yet confirmed by the API; least recently checked first.
   */
  async findToReconcile(now: Date, overdueAfterMs: number, limit: number): Promise<string[]> {
    const rows = await this.registrations
      .createQueryBuilder('r')
      .select('r.id', 'id')
      .where('r.deleted_upstream_at IS NULL')
      .andWhere(
        new Brackets((due) =>
          due
            .where(
              new Brackets((unconfirmed) =>
                unconfirmed
                  .where("r.progress_source = 'postback'")
                  .andWhere('(r.last_synced_at IS NULL OR r.last_synced_at < r.last_postback_at)'),
              ),
            )
            .orWhere(
              new Brackets((overdue) =>
                overdue
                  .where('r.launched_at IS NOT NULL')
                  .andWhere('r.launched_at <= :overdueBefore')
                  .andWhere('r.launched_at >= :windowStart')
                  .andWhere('(r.last_postback_at IS NULL OR r.last_postback_at < r.launched_at)')
                  .andWhere('(r.last_synced_at IS NULL OR r.last_synced_at <= :overdueBefore)'),
              ),
            ),
        ),
      )
      .orderBy('COALESCE(r.last_synced_at, r.created_at)', 'ASC')
      .addOrderBy('r.id', 'ASC')
      .limit(limit)
      .setParameters({
        overdueBefore: new Date(now.getTime() - overdueAfterMs).toISOString(),
        windowStart: new Date(now.getTime() - RECONCILE_WINDOW_MS).toISOString(),
      })
      .getRawMany<{ id: string }>();
    return rows.map((row) => row.id);
  }
}
