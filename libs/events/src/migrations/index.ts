import { CreateEvents1764500000000 } from './1764500000000-create-events.migration';
import { CreateStreamTickets1764500300000 } from './1764500300000-create-stream-tickets.migration';
import { CreateEventDeliveries1764600000000 } from './1764600000000-create-event-deliveries.migration';

/** This library's migrations, in order; the app passes them to PostgreSQL and SQLite alike. */
export const EVENTS_MIGRATIONS: Function[] = [
  CreateEvents1764500000000,
  CreateStreamTickets1764500300000,
  CreateEventDeliveries1764600000000,
];
