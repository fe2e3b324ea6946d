import { Module } from '@nestjs/common';

import { LearnerErasures } from './erasure/learner-erasures';
import { JobLeaseRepository } from './leases/job-lease.repository';
import { JobLeases } from './leases/job-leases.service';
import { DatabaseNotifications } from './notifications/database-notifications';
import { RetentionMarkRepository } from './retention/retention-mark.repository';
import { RetentionJob } from './retention/retention.job';

/**
 * Working as one of several instances on one database: leases that claim background work, notifications between
 * instances, and the registries libraries add their expiring data (retention) and personal data (erasure) to. Libraries with background work or shared in-memory state import it.
 */
@Module({
  exports: [DatabaseNotifications, JobLeases, LearnerErasures, RetentionJob],
  providers: [
    DatabaseNotifications,
    JobLeaseRepository,
    JobLeases,
    LearnerErasures,
    RetentionJob,
    RetentionMarkRepository,
  ],
})
export class CoordinationModule {}
