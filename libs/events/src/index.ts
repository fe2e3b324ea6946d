export { EventOutbox, MAX_PAYLOAD_BYTES } from './event-outbox';
export { EventSignal } from './event-signal';
export * from './event.types';
export { EVENTS_MIGRATIONS } from './migrations';
export { EventRepository } from './repositories/event.repository';
export type { EventScope } from './repositories/event.repository';
export { EventsModule } from './events.module';
export { EventDeliveryModule } from './event-delivery.module';
export { EventStreamService } from './stream/event-stream.service';
