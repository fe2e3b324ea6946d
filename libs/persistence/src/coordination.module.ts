import { Module } from '@nestjs/common';

import { JobLeaseRepository } from './leases/job-lease.repository';
import { JobLeases } from './leases/job-leases.service';
import { DatabaseNotifications } from './notifications/database-notifications';

/**
 * Working as one of several instances on one database: leases that claim background work, and notifications
 * between instances. Libraries with background work or shared in-memory state import it.
 */
@Module({
  exports: [DatabaseNotifications, JobLeases],
  providers: [DatabaseNotifications, JobLeaseRepository, JobLeases],
})
export class CoordinationModule {}
