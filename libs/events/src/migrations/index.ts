import { CreateEvents1764500000000 } from './1764500000000-create-events.migration';
import { CreateStreamTickets1764500300000 } from './1764500300000-create-stream-tickets.migration';

/** This library's migrations, in order; the app passes them to PostgreSQL and SQLite alike. */
export const EVENTS_MIGRATIONS: Function[] = [CreateEvents1764500000000, CreateStreamTickets1764500300000];
