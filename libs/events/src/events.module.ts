import { AuthModule } from '@app/auth';
import { AppConfigService } from '@app/config';
import { CoordinationModule, JobLeases } from '@app/persistence';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { EventEntity } from './entities/event.entity';
import { EventOutbox } from './event-outbox';
import { EventSignal } from './event-signal';
import { EventRepository } from './repositories/event.repository';
import { StreamLeaseRepository } from './repositories/stream-lease.repository';
import { StreamTicketRepository } from './repositories/stream-ticket.repository';
import { EventStreamController } from './stream/event-stream.controller';
import { EventStreamService } from './stream/event-stream.service';
import { MemoryStreamLeaseStore } from './stream/leases/memory-stream-lease.store';
import { PostgresStreamLeaseStore } from './stream/leases/postgres-stream-lease.store';
import { STREAM_LEASE_STORE, StreamLeaseStore } from './stream/leases/stream-lease.store';
import { StreamTicketGuard } from './stream/stream-ticket.guard';
import { StreamTicketService } from './stream/stream-ticket.service';

/** Where open streams are counted: PostgreSQL (every instance shares the limit), else this process (SQLite has one). */
function streamLeaseStore(config: AppConfigService, leases: StreamLeaseRepository, jobs: JobLeases): StreamLeaseStore {
  if (config.database.type === 'postgres')
    return new PostgresStreamLeaseStore(leases, jobs, config.instances.jobLeaseMs);
  return new MemoryStreamLeaseStore();
}

/** The outbox and its readers; libraries that announce changes import it. */
@Module({
  controllers: [EventStreamController],
  exports: [EventOutbox, EventRepository, EventSignal],
  imports: [AuthModule, CoordinationModule, TypeOrmModule.forFeature([EventEntity])],
  providers: [
    EventOutbox,
    EventRepository,
    EventSignal,
    EventStreamService,
    StreamLeaseRepository,
    StreamTicketGuard,
    StreamTicketRepository,
    StreamTicketService,
    {
      inject: [AppConfigService, StreamLeaseRepository, JobLeases],
      provide: STREAM_LEASE_STORE,
      useFactory: streamLeaseStore,
    },
  ],
})
export class EventsModule {}
