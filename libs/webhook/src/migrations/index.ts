import { CreateWebhookEvents1763880000000 } from './1763880000000-create-webhook-events.migration';
import { RenameWebhookEventColumns1764300000000 } from './1764300000000-rename-webhook-event-columns.migration';
import { AddWebhookEventListIndexes1764610000000 } from './1764610000000-add-webhook-event-list-indexes.migration';
import { AddWebhookEventLearnerCourse1764720000000 } from './1764720000000-add-webhook-event-learner-course.migration';

/** This library's migrations, in order; the app passes them to PostgreSQL and SQLite alike. */
export const WEBHOOK_MIGRATIONS: Function[] = [
  CreateWebhookEvents1763880000000,
  RenameWebhookEventColumns1764300000000,
  AddWebhookEventListIndexes1764610000000,
  AddWebhookEventLearnerCourse1764720000000,
];
