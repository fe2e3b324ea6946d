import { Roles } from '@app/auth';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ListWebhookEventsQueryDto } from './dto/list-webhook-events.dto';
import { WebhookEventPageDto } from './dto/webhook-event.dto';
import { WebhookEventsService } from './webhook-events.service';

@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('api/v1/webhooks/events')
export class WebhookEventsController {
  constructor(private readonly events: WebhookEventsService) {}

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'Received SCORM Cloud postbacks, newest first (admin)' })
  @ApiOkResponse({ type: WebhookEventPageDto })
  list(@Query() query: ListWebhookEventsQueryDto): Promise<WebhookEventPageDto> {
    return this.events.list(query);
  }
}
