import { newTimeOrderedId } from '@app/common';
import { AppConfigService } from '@app/config';
import { Injectable, Optional } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import { EventSignal } from './event-signal';
import type { EventPayload, NewEvent } from './event.types';
import { EventRepository } from './repositories/event.repository';

/** Payloads stay thin: ids to fetch more by. A bigger one is a bug in the code that built it. */
export const MAX_PAYLOAD_BYTES = 20_000;

/**
 * The transactional outbox: an event is written in the same transaction as the change it announces, so nothing is
 * announced that did not commit and nothing commits unannounced. Deliveries and the stream read the outbox.
 */
@Injectable()
export class EventOutbox {
  private readonly enabled: boolean;

  constructor(
    private readonly repository: EventRepository,
    private readonly signal: EventSignal,
    @Optional() config?: AppConfigService,
  ) {
    // EVENT_OUTBOX=off exists for the bench's "ingest without the outbox" figure; production refuses it.
    this.enabled = config?.eventDelivery.outbox ?? true;
  }

  /** Appends `events` in `manager`'s transaction; call it after the transaction's other writes. */
  async append(manager: EntityManager, events: NewEvent[]): Promise<void> {
    if (!events.length || !this.enabled) return;
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive) throw new Error('EventOutbox.append needs the transaction of the change');
    await this.repository.append(
      manager,
      events.map((event) => {
        const payload: EventPayload = {
          data: event.data,
          timestamp: event.occurredAt.toISOString(),
          type: event.type,
        };
        const json = JSON.stringify(payload);
        if (Buffer.byteLength(json) > MAX_PAYLOAD_BYTES) throw new Error(`Event ${event.type} payload too large`);
        return {
          actorId: event.actorId ?? null,
          contextId: event.contextId ?? null,
          courseId: event.courseId ?? null,
          // Time-ordered: the unique index on the id then grows at its end (see newTimeOrderedId).
          id: `evt_${newTimeOrderedId()}`,
          learnerId: event.learnerId ?? null,
          occurredAt: payload.timestamp,
          payload: json,
          registrationId: event.registrationId ?? null,
          type: event.type,
        };
      }),
    );
    this.signal.appendedIn(runner);
  }
}
