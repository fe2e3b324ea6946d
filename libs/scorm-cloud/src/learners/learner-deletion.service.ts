import { Clock } from '@app/common';
import { AppConfigService } from '@app/config';
import { EventOutbox } from '@app/events';
import { LearnerErasures } from '@app/persistence';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';

import type { LearnerDeletionReceiptDto } from '../dto/learner-deletion.dto';
import { LearnerDeletionRepository } from '../repositories/learner-deletion.repository';
import { SCORM_CLOUD_TRANSPORT, ScormCloudTransport } from '../transport/scorm-cloud.transport';

/**
 * A learner's right to erasure. SCORM Cloud is asked first (the learner's registrations deleted, and on v2 its
 * learner PII deletion started), so when it fails (502/504, or 503 without SCORM_CLOUD_REALM_USER_EMAIL on v2)
 * nothing has been erased here and the request can simply be repeated (registrations already deleted there count as
 * already gone). Then one transaction deletes the registrations (the learner's names live there) and their progress,
 * runs every library's eraser (raw postbacks, events, Bazaar views, ...), stores the receipt and appends
 * `learner.deleted`. Repeating it when nothing is left (no registration, no eraser holding anything, e.g. a Bazaar view
 * made since) answers the stored receipt again.
 */
@Injectable()
export class LearnerDeletionService {
  private readonly logger = new Logger(LearnerDeletionService.name);

  constructor(
    @Inject(SCORM_CLOUD_TRANSPORT) private readonly transport: ScormCloudTransport,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly deletions: LearnerDeletionRepository,
    private readonly erasures: LearnerErasures,
    private readonly outbox: EventOutbox,
    private readonly config: AppConfigService,
    private readonly clock: Clock,
  ) {}

  async delete(learnerId: string, requestedBy: string): Promise<LearnerDeletionReceiptDto> {
    const registrationIds = await this.deletions.registrationIds(learnerId);
    const earlier = await this.deletions.receipt(learnerId);
    if (earlier && !registrationIds.length && !(await this.anyEraserHolds(learnerId))) {
      return { ...(JSON.parse(earlier.receipt) as LearnerDeletionReceiptDto), repeated: true };
    }
    const upstream = await this.transport.eraseLearner(
      learnerId,
      registrationIds,
      this.config.scormCloud.realmUserEmail,
    );
    const deletedAt = this.clock.now();
    const receiptId = `del_${randomUUID()}`;
    const receipt = await this.dataSource.transaction(async (manager) => {
      const erased: Record<string, number> = await this.deletions.eraseRegistrations(
        manager,
        learnerId,
        registrationIds,
      );
      for (const eraser of this.erasures.all()) {
        erased[eraser.name] = await eraser.erase(manager, { learnerId, registrationIds });
      }
      const answer: LearnerDeletionReceiptDto = {
        deleted_at: deletedAt.toISOString(),
        erased,
        learner_id: learnerId,
        receipt_id: receiptId,
        repeated: false,
        scorm_cloud: {
          api: upstream.api,
          registrations_already_gone: upstream.registrationsAlreadyGone,
          registrations_deleted: upstream.registrationsDeleted,
          request: upstream.request,
          status: upstream.status,
        },
      };
      await this.deletions.saveReceipt(manager, {
        deletedAt,
        learnerId,
        receipt: JSON.stringify(answer),
        receiptId,
      });
      await this.outbox.append(manager, [
        {
          data: { erased, learner_id: learnerId, receipt_id: receiptId, scorm_cloud: answer.scorm_cloud.status },
          learnerId,
          occurredAt: deletedAt,
          type: 'learner.deleted',
        },
      ]);
      return answer;
    });
    // The learner's id and counts only: the log keeps no personal data of the person just erased.
    this.logger.log(
      { erased: receipt.erased, receipt_id: receiptId, requested_by: requestedBy },
      'Learner data erased',
    );
    return receipt;
  }

  private async anyEraserHolds(learnerId: string): Promise<boolean> {
    for (const eraser of this.erasures.all()) {
      if (await eraser.holds?.(learnerId)) return true;
    }
    return false;
  }
}
