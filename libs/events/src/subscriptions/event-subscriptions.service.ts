import { Clock, ConflictError, NotFoundError, ValidationFailedError } from '@app/common';
import { AppConfigService, DeclaredSubscription } from '@app/config';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

import { EventDeliveryWorker } from '../delivery/event-delivery.worker';
import {
  CreateEventSubscriptionDto,
  EVENT_TYPE_FILTERS,
  EventDeliveryAttemptPageDto,
  EventDeliveryPageDto,
  EventSubscriptionDto,
  EventSubscriptionPageDto,
  EventSubscriptionWithSecretDto,
  ListAttemptsQueryDto,
  ListDeliveriesQueryDto,
  ListQueryDto,
  UpdateEventSubscriptionDto,
} from '../dto/event-subscription.dto';
import { decodeCursor, encodeCursor } from '../dto/page-cursor';
import { DeliveryRecord, EventDeliveryRepository } from '../repositories/event-delivery.repository';
import { EventSubscriptionRepository, SubscriptionRecord } from '../repositories/event-subscription.repository';
import { EndpointRules, assertAllowedEndpoint } from './endpoint-url.policy';
import { SubscriptionSecretCipher, newWebhookSecret } from './subscription-secret.cipher';

const DEFAULT_OVERLAP_SECONDS = 86_400;

/** The admin resource behind /api/v1/event-subscriptions, and the config-declared subscriptions at start-up. */
@Injectable()
export class EventSubscriptionsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(EventSubscriptionsService.name);
  private readonly rules: EndpointRules;

  constructor(
    private readonly clock: Clock,
    private readonly config: AppConfigService,
    private readonly subscriptions: EventSubscriptionRepository,
    private readonly deliveries: EventDeliveryRepository,
    private readonly cipher: SubscriptionSecretCipher,
    private readonly worker: EventDeliveryWorker,
  ) {
    this.rules = { production: config.env === 'production' };
  }

  /** EVENT_SUBSCRIPTIONS, upserted by name (instances starting together create each once). */
  async onApplicationBootstrap(): Promise<void> {
    const declared = this.config.eventDelivery.declaredSubscriptions;
    for (const [index, entry] of declared.entries()) await this.checkDeclared(entry, index);
    const now = this.clock.now();
    for (const entry of declared) {
      await this.subscriptions.upsertDeclared(
        {
          description: entry.description ?? null,
          eventTypes: entry.eventTypes,
          id: `sub_${randomUUID()}`,
          name: entry.name,
          secret: this.cipher.encrypt(entry.secret),
          source: 'config',
          url: entry.url,
        },
        now,
      );
    }
    await this.subscriptions.disableUndeclared(
      declared.map((entry) => entry.name),
      now,
    );
    if (declared.length)
      this.logger.log({ subscriptions: declared.map((entry) => entry.name) }, 'Event subscriptions declared');
    this.worker.subscriptionsChanged();
  }

  private async checkDeclared(entry: DeclaredSubscription, index: number): Promise<void> {
    const unknown = entry.eventTypes.filter((type) => !(EVENT_TYPE_FILTERS as readonly string[]).includes(type));
    if (unknown.length) {
      throw new Error(
        `EVENT_SUBSCRIPTIONS[${index}]: unknown event type ${unknown.join(', ')} (known: ${EVENT_TYPE_FILTERS.join(', ')})`,
      );
    }
    try {
      await assertAllowedEndpoint(entry.url, this.rules);
    } catch (error) {
      throw new Error(`EVENT_SUBSCRIPTIONS[${index}]: ${(error as Error).message}`);
    }
  }

  async create(dto: CreateEventSubscriptionDto): Promise<EventSubscriptionWithSecretDto> {
    const url = await assertAllowedEndpoint(dto.url, this.rules);
    const secret = newWebhookSecret();
    const record = await this.unique(dto.name, () =>
      this.subscriptions.create(
        {
          description: dto.description ?? null,
          eventTypes: normaliseTypes(dto.event_types),
          id: `sub_${randomUUID()}`,
          name: dto.name ?? null,
          secret: this.cipher.encrypt(secret),
          source: 'api',
          url: url.href,
        },
        this.clock.now(),
      ),
    );
    this.worker.subscriptionsChanged();
    return { ...toDto(record), secret };
  }

  async list(query: ListQueryDto): Promise<EventSubscriptionPageDto> {
    const limit = query.limit ?? 50;
    const records = await this.subscriptions.list(limit + 1, decodeCursor<string>(query.cursor, 'string'));
    const items = records.slice(0, limit);
    return {
      items: items.map(toDto),
      next_cursor: records.length > limit ? encodeCursor(items[items.length - 1].id) : null,
    };
  }

  async get(id: string): Promise<EventSubscriptionDto> {
    return toDto(await this.find(id));
  }

  async update(id: string, dto: UpdateEventSubscriptionDto): Promise<EventSubscriptionDto> {
    const record = await this.editable(id);
    const url = dto.url === undefined ? undefined : (await assertAllowedEndpoint(dto.url, this.rules)).href;
    await this.unique(dto.name, () =>
      this.subscriptions.update(
        record.id,
        {
          description: dto.description,
          eventTypes: dto.event_types && normaliseTypes(dto.event_types),
          name: dto.name,
          url,
        },
        this.clock.now(),
      ),
    );
    this.worker.subscriptionsChanged();
    return this.get(id);
  }

  /** Enabling an endpoint (also a config-declared one, e.g. after a 410) delivers what waited meanwhile. */
  async setEnabled(id: string, enabled: boolean): Promise<EventSubscriptionDto> {
    const record = await this.find(id);
    await this.subscriptions.setStatus(
      record.id,
      enabled ? 'active' : 'disabled',
      enabled ? null : 'disabled through the API',
      this.clock.now(),
    );
    this.worker.subscriptionsChanged();
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    const record = await this.editable(id);
    await this.subscriptions.delete(record.id);
    this.worker.subscriptionsChanged();
  }

  async rotateSecret(id: string, overlapSeconds = DEFAULT_OVERLAP_SECONDS): Promise<EventSubscriptionWithSecretDto> {
    const record = await this.editable(id);
    const secret = newWebhookSecret();
    const now = this.clock.now();
    await this.subscriptions.rotate(record.id, this.cipher.encrypt(secret), now.getTime() + overlapSeconds * 1000, now);
    this.worker.subscriptionsChanged();
    return { ...(await this.get(id)), secret };
  }

  async listDeliveries(id: string, query: ListDeliveriesQueryDto): Promise<EventDeliveryPageDto> {
    await this.find(id);
    const limit = query.limit ?? 50;
    const rows = await this.deliveries.list(id, limit + 1, {
      beforeId: decodeCursor<number>(query.cursor, 'number'),
      eventId: query.event_id,
      status: query.status,
    });
    const items = rows.slice(0, limit);
    return {
      items: items.map(toDeliveryDto),
      next_cursor: rows.length > limit ? encodeCursor(items[items.length - 1].id) : null,
    };
  }

  async listAttempts(id: string, query: ListAttemptsQueryDto): Promise<EventDeliveryAttemptPageDto> {
    await this.find(id);
    const limit = query.limit ?? 50;
    const rows = await this.deliveries.attempts(id, limit + 1, {
      beforeId: decodeCursor<number>(query.cursor, 'number'),
      deliveryId: query.delivery_id === undefined ? undefined : Number(query.delivery_id),
      eventId: query.event_id,
    });
    const items = rows.slice(0, limit);
    return {
      items: items.map((row) => ({
        attempt: row.attempt,
        attempted_at: row.attemptedAt,
        delivery_id: row.deliveryId,
        duration_ms: row.durationMs,
        error: row.error,
        event_id: row.eventId,
        id: row.id,
        response_excerpt: row.responseExcerpt,
        result: row.result,
        status_code: row.statusCode,
      })),
      next_cursor: rows.length > limit ? encodeCursor(items[items.length - 1].id) : null,
    };
  }

  async redeliver(id: string, deliveryId: number): Promise<{ delivery_id: number; status: 'pending' }> {
    await this.find(id);
    if (!(await this.deliveries.redeliver(id, deliveryId))) {
      throw new NotFoundError('EVENT_DELIVERY_NOT_FOUND', `Subscription ${id} has no delivery ${deliveryId}`);
    }
    this.worker.subscriptionsChanged();
    return { delivery_id: deliveryId, status: 'pending' };
  }

  async replay(id: string, since: string): Promise<{ queued: number }> {
    const record = await this.find(id);
    const from = new Date(since);
    if (from.getTime() > this.clock.now().getTime()) {
      const message = 'since must not be in the future (rule: notFuture)';
      throw new ValidationFailedError(message, { since: [message] });
    }
    const queued = await this.deliveries.replay(record.id, from, record.eventTypes, this.clock.now());
    this.worker.subscriptionsChanged();
    return { queued };
  }

  private async find(id: string): Promise<SubscriptionRecord> {
    const record = await this.subscriptions.get(id);
    if (!record) throw new NotFoundError('EVENT_SUBSCRIPTION_NOT_FOUND', `No event subscription ${id}`);
    return record;
  }

  /** Config-declared subscriptions change only through the configuration. */
  private async editable(id: string): Promise<SubscriptionRecord> {
    const record = await this.find(id);
    if (record.source === 'config') {
      throw new ConflictError(
        'EVENT_SUBSCRIPTION_READ_ONLY',
        `Event subscription ${record.name} is declared in EVENT_SUBSCRIPTIONS; change it there`,
      );
    }
    return record;
  }

  /** A name taken by another subscription is a 409 naming it. */
  private async unique<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (name !== undefined && /unique|duplicate/i.test((error as Error).message)) {
        throw new ConflictError('EVENT_SUBSCRIPTION_NAME_TAKEN', `An event subscription named ${name} exists`);
      }
      throw error;
    }
  }
}

/** `["*"]` takes everything; otherwise the listed types, once each, in a stable order. */
const normaliseTypes = (types: string[] | undefined): string[] =>
  !types || types.includes('*') ? ['*'] : [...new Set(types)].sort();

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toDto(record: SubscriptionRecord): EventSubscriptionDto {
  return {
    created_at: record.createdAt,
    description: record.description,
    disabled_at: record.disabledAt,
    disabled_reason: record.disabledReason,
    event_types: record.eventTypes,
    failing_since: iso(record.failingSince),
    id: record.id,
    name: record.name,
    previous_secret_expires_at:
      record.previousSecret && (record.previousSecretExpiresAt ?? 0) > Date.now()
        ? iso(record.previousSecretExpiresAt)
        : null,
    source: record.source,
    status: record.status,
    updated_at: record.updatedAt,
    url: record.url,
  };
}

const toDeliveryDto = (row: DeliveryRecord) => ({
  attempts: row.attempts,
  completed_at: row.completedAt,
  created_at: row.createdAt,
  event_id: row.eventId,
  event_type: row.eventType,
  id: row.id,
  last_error: row.lastError,
  last_status_code: row.lastStatusCode,
  next_attempt_at: iso(row.nextAttemptAt),
  registration_id: row.registrationId,
  status: row.status,
  subscription_id: row.subscriptionId,
});
