import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';

import { LearnerDeletionEntity } from '../entities/learner-deletion.entity';
import { RegistrationProgressEntity } from '../entities/registration-progress.entity';
import { RegistrationEntity } from '../entities/registration.entity';

/** A learner's registrations, progress and deletion receipt. */
@Injectable()
export class LearnerDeletionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async registrationIds(learnerId: string): Promise<string[]> {
    const rows = await this.dataSource
      .getRepository(RegistrationEntity)
      .find({ order: { id: 'ASC' }, select: { id: true }, where: { learnerId } });
    return rows.map((row) => row.id);
  }

  receipt(learnerId: string): Promise<LearnerDeletionEntity | null> {
    return this.dataSource.getRepository(LearnerDeletionEntity).findOne({ where: { learnerId } });
  }

  /** Deletes the registrations (with the learner's names) and their progress; counts each. */
  async eraseRegistrations(
    manager: EntityManager,
    learnerId: string,
    registrationIds: string[],
  ): Promise<{ registrations: number; progress: number }> {
    let progress = 0;
    for (let i = 0; i < registrationIds.length; i += 500) {
      const chunk = registrationIds.slice(i, i + 500);
      progress +=
        (await manager.getRepository(RegistrationProgressEntity).delete({ registrationId: In(chunk) })).affected ?? 0;
    }
    // By learner, not by the ids read before: a registration created meanwhile goes too.
    const registrations = (await manager.getRepository(RegistrationEntity).delete({ learnerId })).affected ?? 0;
    return { progress, registrations };
  }

  async saveReceipt(manager: EntityManager, deletion: LearnerDeletionEntity): Promise<void> {
    await manager.getRepository(LearnerDeletionEntity).upsert(deletion, ['learnerId']);
  }
}
