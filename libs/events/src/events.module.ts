import { CoordinationModule } from '@app/persistence';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { EventEntity } from './entities/event.entity';
import { EventOutbox } from './event-outbox';
import { EventSignal } from './event-signal';
import { EventRepository } from './repositories/event.repository';

/** The outbox and its readers; libraries that announce changes import it. */
@Module({
  exports: [EventOutbox, EventRepository, EventSignal],
  imports: [CoordinationModule, TypeOrmModule.forFeature([EventEntity])],
  providers: [EventOutbox, EventRepository, EventSignal],
})
export class EventsModule {}
