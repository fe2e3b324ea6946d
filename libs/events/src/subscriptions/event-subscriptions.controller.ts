import { Roles } from '@app/auth';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';

import {
  CreateEventSubscriptionDto,
  EventDeliveryAttemptPageDto,
  EventDeliveryPageDto,
  EventDeliveryParamsDto,
  EventSubscriptionDto,
  EventSubscriptionPageDto,
  EventSubscriptionParamsDto,
  EventSubscriptionWithSecretDto,
  ListAttemptsQueryDto,
  ListDeliveriesQueryDto,
  ListQueryDto,
  RedeliveryAcceptedDto,
  ReplayAcceptedDto,
  ReplayEventsDto,
  RotateSecretDto,
  UpdateEventSubscriptionDto,
} from '../dto/event-subscription.dto';
import { EventSubscriptionsService } from './event-subscriptions.service';

/** Webhook endpoints of the LMS back end, their delivery log, redelivery and replay (admins and API keys). */
@ApiTags('event subscriptions')
@ApiBearerAuth()
@Roles('admin')
@Controller('api/v1/event-subscriptions')
export class EventSubscriptionsController {
  constructor(private readonly subscriptions: EventSubscriptionsService) {}

  @Post()
  @ApiOperation({ summary: 'Subscribe an LMS endpoint to events; the signing secret is shown only in this answer' })
  @ApiCreatedResponse({ type: EventSubscriptionWithSecretDto })
  create(@Body() body: CreateEventSubscriptionDto): Promise<EventSubscriptionWithSecretDto> {
    return this.subscriptions.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'Event subscriptions (secrets never shown)' })
  @ApiOkResponse({ type: EventSubscriptionPageDto })
  list(@Query() query: ListQueryDto): Promise<EventSubscriptionPageDto> {
    return this.subscriptions.list(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: EventSubscriptionDto })
  get(@Param() params: EventSubscriptionParamsDto): Promise<EventSubscriptionDto> {
    return this.subscriptions.get(params.id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change url, name, description or event types (not of a config-declared one: 409)' })
  @ApiOkResponse({ type: EventSubscriptionDto })
  update(
    @Param() params: EventSubscriptionParamsDto,
    @Body() body: UpdateEventSubscriptionDto,
  ): Promise<EventSubscriptionDto> {
    return this.subscriptions.update(params.id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a subscription with its deliveries and log (not a config-declared one: 409)' })
  @ApiNoContentResponse()
  async delete(@Param() params: EventSubscriptionParamsDto): Promise<void> {
    await this.subscriptions.delete(params.id);
  }

  @Post(':id/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop delivering; events keep being recorded and wait' })
  @ApiOkResponse({ type: EventSubscriptionDto })
  disable(@Param() params: EventSubscriptionParamsDto): Promise<EventSubscriptionDto> {
    return this.subscriptions.setEnabled(params.id, false);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Deliver again, starting with what waited while disabled' })
  @ApiOkResponse({ type: EventSubscriptionDto })
  enable(@Param() params: EventSubscriptionParamsDto): Promise<EventSubscriptionDto> {
    return this.subscriptions.setEnabled(params.id, true);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new secret (shown once); the old one also signs during overlap_seconds' })
  @ApiOkResponse({ type: EventSubscriptionWithSecretDto })
  rotateSecret(
    @Param() params: EventSubscriptionParamsDto,
    @Body() body: RotateSecretDto,
  ): Promise<EventSubscriptionWithSecretDto> {
    return this.subscriptions.rotateSecret(params.id, body.overlap_seconds);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'Deliveries to this endpoint, newest first (keyset paging)' })
  @ApiOkResponse({ type: EventDeliveryPageDto })
  deliveries(
    @Param() params: EventSubscriptionParamsDto,
    @Query() query: ListDeliveriesQueryDto,
  ): Promise<EventDeliveryPageDto> {
    return this.subscriptions.listDeliveries(params.id, query);
  }

  @Get(':id/attempts')
  @ApiOperation({ summary: 'The delivery log: each attempt with status, latency and the first 1 kB of the answer' })
  @ApiOkResponse({ type: EventDeliveryAttemptPageDto })
  attempts(
    @Param() params: EventSubscriptionParamsDto,
    @Query() query: ListAttemptsQueryDto,
  ): Promise<EventDeliveryAttemptPageDto> {
    return this.subscriptions.listAttempts(params.id, query);
  }

  @Post(':id/deliveries/:delivery_id/redeliver')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send one delivery again (same webhook-id), with a fresh retry schedule' })
  @ApiAcceptedResponse({ type: RedeliveryAcceptedDto })
  redeliver(@Param() params: EventDeliveryParamsDto): Promise<RedeliveryAcceptedDto> {
    return this.subscriptions.redeliver(params.id, Number(params.delivery_id));
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send every event since a time again to this endpoint (its event-type filter applies)' })
  @ApiAcceptedResponse({ type: ReplayAcceptedDto })
  replay(@Param() params: EventSubscriptionParamsDto, @Body() body: ReplayEventsDto): Promise<ReplayAcceptedDto> {
    return this.subscriptions.replay(params.id, body.since);
  }
}
