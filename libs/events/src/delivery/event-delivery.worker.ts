import { Clock, GatewayMetrics } from '@app/common';
import { AppConfigService } from '@app/config';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';

import { EventSignal } from '../event-signal';
import type { AttemptResult } from '../entities/event-delivery-attempt.entity';
import {
  AttemptRecord,
  ClaimedDelivery,
  DeliveryUpdate,
  EventDeliveryRepository,
} from '../repositories/event-delivery.repository';
import { EventSubscriptionRepository, SubscriptionRecord } from '../repositories/event-subscription.repository';
import { SubscriptionSecretCipher } from '../subscriptions/subscription-secret.cipher';
import { EventDeliverySigner } from './event-delivery.signer';
import { LmsEndpointClient } from './lms-endpoint.client';
import { DeliveryVerdict, deliveryVerdict, failingTooLong } from './retry.policy';

/** Outbox events fanned out per transaction. */
const FAN_OUT_BATCH = 500;
/** Deliveries in flight from this instance across every endpoint. */
const MAX_IN_FLIGHT = 512;
/** Passes start at most this often: under load many wakes share one pass (and its claims). */
const MIN_PASS_INTERVAL_MS = 4;
/** Answers are gathered this long before their batch is written. */
const FLUSH_GATHER_MS = 2;
/** A chain's next delivery is sent only while its claim's lease outlasts that attempt's time-out by this much. */
const LEASE_MARGIN_MS = 2_000;
/** How long the list of active endpoints is reused (changes made through this instance apply at once). */
const SUBSCRIPTIONS_TTL_MS = 1_000;

interface Outcome {
  attempt: AttemptRecord;
  update: DeliveryUpdate;
}

/**
 * Delivers outbox events to the LMS endpoints. Each pass fans new events out into `event_deliveries` (cursor per
 * subscription), then claims due deliveries per endpoint under a lease (`locked_until`) and POSTs them (a
 * registration's, in order, as one chain), at most EVENT_DELIVERY_CONCURRENCY at a time per endpoint, so a slow or hanging endpoint holds only its own slots; postback
 * ingest never waits for any of it (it only appends to the outbox). Answers are recorded in batches, one transaction
 * each. A pass runs when events are appended (EventSignal, from any instance), when an answer frees a slot or
 * unblocks a registration, and every EVENT_DELIVERY_POLL_MS for due retries and as a safety net. A kill -9 loses
 * nothing: the outbox and the delivery rows are durable, and a claim whose worker died is taken again once its lease
 * runs out, with the same `webhook-id`.
 */
@Injectable()
export class EventDeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EventDeliveryWorker.name);
  /** Names this process in `locked_by`. */
  readonly holder = `${hostname().slice(0, 100)}/${process.pid}/${randomUUID().slice(0, 8)}`;
  private readonly perEndpoint: number;
  private readonly leaseMs: number;
  private readonly inFlight = new Map<string, number>();
  private readonly claimed = new Set<number>();
  private total = 0;
  private pumping: Promise<void> | undefined;
  private again = false;
  private scheduled: NodeJS.Timeout | undefined;
  private lastPass = 0;
  /** Events may have been appended since the last fan-out (a signal, the poll, start-up). */
  private fanOutDue = true;
  private active: { at: number; subscriptions: SubscriptionRecord[] } | undefined;
  private outcomes: Outcome[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  /** Endpoints this instance saw fail since their last success here (their streak is ended on the next success). */
  private readonly failing = new Set<string>();
  private readonly decrypted = new Map<string, string>();

  constructor(
    private readonly clock: Clock,
    private readonly config: AppConfigService,
    private readonly deliveries: EventDeliveryRepository,
    private readonly subscriptions: EventSubscriptionRepository,
    private readonly cipher: SubscriptionSecretCipher,
    private readonly signer: EventDeliverySigner,
    private readonly client: LmsEndpointClient,
    private readonly signal: EventSignal,
    private readonly metrics: GatewayMetrics,
  ) {
    this.perEndpoint = config.eventDelivery.concurrencyPerEndpoint;
    // Longer than any attempt (its time-out) with room for recording the answer.
    this.leaseMs = 2 * config.eventDelivery.timeoutMs + 5_000;
  }

  onApplicationBootstrap(): void {
    this.unsubscribe = this.signal.onAppended(() => this.wake(true));
    this.timer = setInterval(() => this.wake(true), this.config.eventDelivery.pollMs);
    this.timer.unref();
    this.wake();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.scheduled);
    this.unsubscribe?.();
    await this.pumping;
    // Answers still coming are waited for briefly; claims left unanswered are released, due again at once.
    const until = Date.now() + 1_000;
    while (this.total > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    await this.flush();
    await this.deliveries.release([...this.claimed], this.holder).catch(() => undefined);
  }

  /**
   * Asks for a pass (coalesced: one runs at a time, at most one every few ms, and one more after it if asked
   * meanwhile); `appended`: events may be new, so the pass fans out first.
   */
  wake(appended = false): void {
    if (appended) this.fanOutDue = true;
    if (this.stopped) return;
    if (this.pumping || this.scheduled) {
      this.again = true;
      return;
    }
    const wait = this.lastPass + MIN_PASS_INTERVAL_MS - Date.now();
    if (wait > 0) {
      this.scheduled = setTimeout(() => {
        this.scheduled = undefined;
        this.wake();
      }, wait);
      return;
    }
    this.lastPass = Date.now();
    this.pumping = this.pump()
      .catch((error: unknown) =>
        this.logger.warn({ err: error }, 'Event delivery pass failed; retried on the next one'),
      )
      .finally(() => {
        this.pumping = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Changes made through this instance (the API) apply at the next pass. */
  subscriptionsChanged(): void {
    this.active = undefined;
    this.wake(true);
  }

  /** Waits until a pass now and the answers it started are recorded (tests and benches). */
  async drain(): Promise<void> {
    this.wake(true);
    while (this.pumping || this.scheduled || this.total > 0 || this.flushing || this.outcomes.length) {
      await (this.pumping ?? this.flushing?.catch(() => undefined) ?? new Promise((r) => setTimeout(r, 5)));
    }
  }

  private async pump(): Promise<void> {
    this.again = false;
    if (!this.active || Date.now() - this.active.at > SUBSCRIPTIONS_TTL_MS) {
      this.active = { at: Date.now(), subscriptions: await this.subscriptions.active() };
    }
    // Which endpoints to claim for; what each delivery is signed with and sent to comes with its claim.
    const endpoints = this.active.subscriptions.map((subscription) => subscription.id);
    // No endpoint: nothing to fan out (a new or enabled one starts from its own cursor, so nothing is missed).
    if (!endpoints.length) return;
    while (this.fanOutDue && !this.stopped) {
      this.fanOutDue = false;
      const { read } = await this.deliveries.fanOut(FAN_OUT_BATCH, this.clock.now());
      if (read === FAN_OUT_BATCH) this.fanOutDue = true;
    }
    for (const id of endpoints) {
      if (this.stopped) return;
      const room = Math.min(this.perEndpoint - (this.inFlight.get(id) ?? 0), MAX_IN_FLIGHT - this.total);
      if (room <= 0) continue;
      const claimedAt = performance.now();
      const { deliveries, subscription } = await this.deliveries.claim(id, room, this.holder, this.leaseMs);
      if (subscription) for (const chain of chains(deliveries)) this.start(subscription, chain, claimedAt);
    }
  }

  /** Sends a registration's claimed deliveries (one, or several in order) on one of the endpoint's slots. */
  private start(subscription: SubscriptionRecord, chain: ClaimedDelivery[], claimedAt: number): void {
    this.total += chain.length;
    for (const delivery of chain) this.claimed.add(delivery.id);
    this.inFlight.set(subscription.id, (this.inFlight.get(subscription.id) ?? 0) + 1);
    let holdsSlot = true;
    const releaseSlot = () => {
      if (!holdsSlot) return;
      holdsSlot = false;
      this.inFlight.set(subscription.id, (this.inFlight.get(subscription.id) ?? 1) - 1);
    };
    void this.send(subscription, chain, claimedAt, releaseSlot).finally(releaseSlot);
  }

  /**
   * A chain: each delivery is sent after the previous one's 2xx, without waiting for that answer to be written (a
   * crash before it is re-sends both, in order, and the receiver drops the repeat by `webhook-id`). The rest of the
   * chain is released, due again behind the one that stopped it, when a delivery fails (it waits for its retry),
   * when the worker stops, or when the claim's lease could run out before the next delivery is answered.
   */
  private async send(
    subscription: SubscriptionRecord,
    chain: ClaimedDelivery[],
    claimedAt: number,
    releaseSlot: () => void,
  ): Promise<void> {
    const recorded: Promise<void>[] = [];
    const finished = (delivery: ClaimedDelivery) => {
      this.total--;
      this.claimed.delete(delivery.id);
    };
    let next = 0;
    try {
      while (next < chain.length) {
        const leaseLeft = this.leaseMs - (performance.now() - claimedAt);
        if (next > 0 && (this.stopped || leaseLeft < this.config.eventDelivery.timeoutMs + LEASE_MARGIN_MS)) break;
        const delivery = chain[next++];
        const { goOn, recording } = await this.attempt(
          subscription,
          delivery,
          next === chain.length ? releaseSlot : () => undefined,
        );
        recorded.push(
          recording
            .catch((error: unknown) => {
              // Nothing recorded: the lease runs out and the delivery is tried again.
              this.logger.error({ delivery: delivery.id, err: error }, 'Event delivery attempt could not be recorded');
            })
            .finally(() => finished(delivery)),
        );
        if (!goOn) break;
      }
    } catch (error) {
      // Signing or judging the endpoint failed before an answer was recorded: that delivery waits out its lease.
      this.logger.error({ delivery: chain[next - 1]?.id, err: error }, 'Event delivery attempt failed');
      finished(chain[next - 1]);
    }
    releaseSlot();
    const rest = chain.slice(next);
    if (rest.length) {
      await this.deliveries
        .release(
          rest.map((delivery) => delivery.id),
          this.holder,
        )
        .catch((error: unknown) => this.logger.warn({ err: error }, 'Event deliveries not released; due at lease end'));
      rest.forEach(finished);
      this.wake();
    }
    await Promise.all(recorded);
  }

  /**
   * One attempt: sign, POST, judge the endpoint, and queue the answer for the next batch write (`recording`).
   * `goOn`: the registration's next delivery may follow (a 2xx, or a delivery that is no longer pending). The
   * endpoint's slot is released (`releaseSlot`) as soon as the exchange ends, so the pass that follows the recorded
   * answers already has the room; the delivery stays claimed and pending until recorded, so its registration's next
   * event waits for it unless this chain sends it.
   */
  private async attempt(
    subscription: SubscriptionRecord,
    delivery: ClaimedDelivery,
    releaseSlot: () => void,
  ): Promise<{ goOn: boolean; recording: Promise<void> }> {
    const attemptedAt = this.clock.now();
    const number = delivery.attempts + 1;
    const base = { attempt: number, attemptedAt, deliveryId: delivery.id, eventId: delivery.eventId };
    if (delivery.payload === undefined) {
      const attempt: AttemptRecord = {
        ...base,
        durationMs: 0,
        error: 'the event is no longer stored (pruned)',
        responseExcerpt: null,
        result: 'error',
        statusCode: null,
        subscriptionId: subscription.id,
      };
      return { goOn: true, recording: this.record({ attempt, update: { status: 'failed' } }) };
    }
    const headers = this.signer.sign(
      this.secrets(subscription, attemptedAt),
      delivery.eventId,
      attemptedAt,
      delivery.payload,
    );
    const answer = await this.client.post(subscription.url, { ...headers }, delivery.payload);
    releaseSlot();
    const now = this.clock.now();
    const verdict = deliveryVerdict(number, answer, now, Math.random, this.config.eventDelivery.retryDelaysMs);
    const result: AttemptResult =
      verdict.kind === 'succeeded' ? 'success' : answer.timedOut ? 'timeout' : answer.statusCode ? 'failure' : 'error';
    const attempt: AttemptRecord = {
      ...base,
      durationMs: answer.durationMs,
      error: answer.error ?? null,
      responseExcerpt: answer.excerpt ?? null,
      result,
      statusCode: answer.statusCode ?? null,
      subscriptionId: subscription.id,
    };
    const lag = delivery.occurredAt ? now.getTime() - Date.parse(delivery.occurredAt) : 0;
    this.metrics.recordEventDelivery(subscription.name ?? subscription.id, result, answer.durationMs, lag);
    // Judged first: a 410's delivery, once recorded, is due again at once, and must find its endpoint disabled.
    await this.judgeEndpoint(subscription, verdict, now);
    const update = toUpdate(verdict);
    return {
      goOn: update.status === 'succeeded' || update.status === 'failed',
      recording: this.record({ attempt, update }),
    };
  }

  /** The current secret, and the previous one while its overlap lasts (decrypted once per stored value). */
  private secrets(subscription: SubscriptionRecord, at: Date): string[] {
    const secrets = [this.plain(subscription.secret)];
    if (subscription.previousSecret && (subscription.previousSecretExpiresAt ?? 0) > at.getTime()) {
      secrets.push(this.plain(subscription.previousSecret));
    }
    return secrets;
  }

  private plain(stored: string): string {
    let secret = this.decrypted.get(stored);
    if (secret === undefined) {
      if (this.decrypted.size > 1000) this.decrypted.clear();
      this.decrypted.set(stored, (secret = this.cipher.decrypt(stored)));
    }
    return secret;
  }

  /** A success ends the endpoint's failure streak; 410, or failing for 5 days, disables it (recorded with why). */
  private async judgeEndpoint(subscription: SubscriptionRecord, verdict: DeliveryVerdict, now: Date): Promise<void> {
    if (verdict.kind === 'succeeded') {
      if (subscription.failingSince !== null || this.failing.has(subscription.id)) {
        this.failing.delete(subscription.id);
        // The claim's other deliveries share this record: the streak is ended once, not once per success.
        subscription.failingSince = null;
        await this.subscriptions.markHealthy(subscription.id);
      }
      return;
    }
    if (verdict.kind === 'endpoint_gone') {
      await this.disable(subscription, 'the endpoint answered 410 Gone', now);
      return;
    }
    this.failing.add(subscription.id);
    const streak = await this.subscriptions.markFailing(subscription.id);
    if (streak && failingTooLong(new Date(streak.failingSince), new Date(streak.now))) {
      await this.disable(subscription, 'every delivery failed for 5 days', now);
    }
  }

  private async disable(subscription: SubscriptionRecord, reason: string, now: Date): Promise<void> {
    this.active = undefined;
    if (await this.subscriptions.disable(subscription.id, reason, now, subscription.updatedAt)) {
      this.logger.warn({ reason, subscription: subscription.id }, 'Event subscription disabled');
    }
  }

  /** Queues an answer for the next batch write and waits for it; a pass follows (a slot or a registration freed). */
  private async record(outcome: Outcome): Promise<void> {
    this.outcomes.push(outcome);
    await this.flush();
    this.wake();
  }

  /** Writes queued answers; answers arriving within a couple of ms share one transaction. */
  private async flush(): Promise<void> {
    if (!this.stopped) await new Promise((resolve) => setTimeout(resolve, FLUSH_GATHER_MS));
    while (this.flushing) await this.flushing.catch(() => undefined);
    if (!this.outcomes.length) return;
    const batch = this.outcomes;
    this.outcomes = [];
    this.flushing = this.deliveries.complete(batch).finally(() => (this.flushing = undefined));
    return this.flushing;
  }
}

function toUpdate(verdict: DeliveryVerdict): DeliveryUpdate {
  switch (verdict.kind) {
    case 'succeeded':
      return { status: 'succeeded' };
    case 'retry':
      return { retryInMs: verdict.delayMs, status: 'pending' };
    case 'exhausted':
      return { status: 'failed' };
    case 'endpoint_gone':
      return { status: 'parked' };
  }
}

/** Claimed deliveries (in event order) as chains: one per registration, in order; one each without a registration. */
function chains(deliveries: ClaimedDelivery[]): ClaimedDelivery[][] {
  const all: ClaimedDelivery[][] = [];
  const byRegistration = new Map<string, ClaimedDelivery[]>();
  for (const delivery of deliveries) {
    const chain = delivery.registrationId === null ? undefined : byRegistration.get(delivery.registrationId);
    if (chain) {
      chain.push(delivery);
      continue;
    }
    all.push([delivery]);
    if (delivery.registrationId !== null) byRegistration.set(delivery.registrationId, all[all.length - 1]);
  }
  return all;
}
