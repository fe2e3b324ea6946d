import { AuthModule } from '@app/auth';
import { CoordinationModule } from '@app/persistence';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { EventEntity } from './entities/event.entity';
import { EventOutbox } from './event-outbox';
import { EventSignal } from './event-signal';
import { EventRepository } from './repositories/event.repository';
import { StreamTicketRepository } from './repositories/stream-ticket.repository';
import { EventStreamController } from './stream/event-stream.controller';
import { EventStreamService } from './stream/event-stream.service';
import { StreamTicketGuard } from './stream/stream-ticket.guard';
import { StreamTicketService } from './stream/stream-ticket.service';

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
    StreamTicketGuard,
    StreamTicketRepository,
    StreamTicketService,
  ],
})
export class EventsModule {}
