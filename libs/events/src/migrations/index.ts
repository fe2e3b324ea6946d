import { CreateEvents1764500000000 } from './1764500000000-create-events.migration';
import { CreateStreamTickets1764500300000 } from './1764500300000-create-stream-tickets.migration';
import { CreateEventDeliveries1764600000000 } from './1764600000000-create-event-deliveries.migration';
import { IndexFinishedEventDeliveries1764600100000 } from './1764600100000-index-finished-event-deliveries.migration';
import { DropEventsRegistrationIndex1764730000000 } from './1764730000000-drop-events-registration-index.migration';
import { CreateStreamLeases1764740000000 } from './1764740000000-create-stream-leases.migration';
import { AddEventActor1764750000000 } from './1764750000000-add-event-actor.migration';

/** This library's migrations, in order; the app passes them to PostgreSQL and SQLite alike. */
export const EVENTS_MIGRATIONS: Function[] = [
  CreateEvents1764500000000,
  CreateStreamTickets1764500300000,
  CreateEventDeliveries1764600000000,
  IndexFinishedEventDeliveries1764600100000,
  DropEventsRegistrationIndex1764730000000,
  CreateStreamLeases1764740000000,
  AddEventActor1764750000000,
];
