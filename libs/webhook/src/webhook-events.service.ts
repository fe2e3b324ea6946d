import { ValidationFailedError, cursorPage, decodeCursor } from '@app/common';
import { Injectable } from '@nestjs/common';

import { ListWebhookEventsQueryDto } from './dto/list-webhook-events.dto';
import { WebhookEventDto, WebhookEventPageDto } from './dto/webhook-event.dto';
import { WebhookEventFilter, WebhookEventRepository } from './repositories/webhook-event.repository';

@Injectable()
export class WebhookEventsService {
  constructor(private readonly events: WebhookEventRepository) {}

  /**
   * Newest first. Event ids are time-ordered (UUIDv7), so the id is the whole sort key: a cursor carries the last id
   * served and the next page seeks below it. No COUNT unless a caller still pages by `offset`.
   */
  async list(query: ListWebhookEventsQueryDto): Promise<WebhookEventPageDto> {
    const limit = query.limit ?? 50;
    if (query.cursor !== undefined && query.offset !== undefined) {
      const message = 'cursor cannot be combined with offset (rule: cursorOrOffset)';
      throw new ValidationFailedError(message, { cursor: [message] });
    }
    const filter: WebhookEventFilter = {
      courseId: query.course_id,
      learnerId: query.learner_id,
      outcome: query.outcome,
      receivedBefore: query.received_before ? new Date(query.received_before) : undefined,
      receivedFrom: query.received_from ? new Date(query.received_from) : undefined,
      registrationId: query.registration_id,
    };
    if (query.cursor !== undefined) filter.beforeId = decodeCursor<[string]>(query.cursor, ['string'])[0];
    const rows = await this.events.list(filter, limit + 1, query.offset);
    const page = cursorPage(rows, limit, (row) => [row.id]);
    const items = page.items.map((event) => WebhookEventDto.from(event));
    if (query.offset === undefined) return { ...page, items };
    return { ...page, items, offset: query.offset, total: await this.events.count(filter) };
  }
}
