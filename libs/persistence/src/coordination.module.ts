import { Module } from '@nestjs/common';

import { JobLeaseRepository } from './leases/job-lease.repository';
import { JobLeases } from './leases/job-leases.service';
import { DatabaseNotifications } from './notifications/database-notifications';
import { RetentionMarkRepository } from './retention/retention-mark.repository';
import { RetentionJob } from './retention/retention.job';

/**
 * Working as one of several instances on one database: leases that claim background work, notifications between
 * instances, and the retention job that libraries register their expiring data with. Libraries with background work or shared in-memory state import it.
 */
@Module({
  exports: [DatabaseNotifications, JobLeases, RetentionJob],
  providers: [DatabaseNotifications, JobLeaseRepository, JobLeases, RetentionJob, RetentionMarkRepository],
})
export class CoordinationModule {}
