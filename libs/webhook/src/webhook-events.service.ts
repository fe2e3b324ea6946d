import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';

import { ListWebhookEventsQueryDto } from './dto/list-webhook-events.dto';
import { WebhookEventDto, WebhookEventPageDto } from './dto/webhook-event.dto';
import { WebhookEventEntity } from './entities/webhook-event.entity';

@Injectable()
export class WebhookEventsService {
  constructor(@InjectRepository(WebhookEventEntity) private readonly events: Repository<WebhookEventEntity>) {}

  /** Newest first: event ids are time-ordered (UUIDv7), so this walks the primary key or the registration index. */
  async list(query: ListWebhookEventsQueryDto): Promise<WebhookEventPageDto> {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const builder = this.events.createQueryBuilder('e');
    if (query.registration_id) builder.where('e.registration_id = :id', { id: query.registration_id });
    const [events, total] = await builder.orderBy('e.id', 'DESC').skip(offset).take(limit).getManyAndCount();
    return { items: events.map((event) => WebhookEventDto.from(event)), limit, offset, total };
  }
}
