import { Inject, Injectable, Logger } from '@nestjs/common';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

import { SANDBOX_CONFIG, SandboxConfig } from '../sandbox.config';

/** A delivery the back end verified, as the demo page shows it. */
export interface ReceivedWebhook {
  webhook_id: string;
  type: string;
  timestamp: string;
  /** The event's `data`, as delivered. */
  data: unknown;
  received_at: string;
  /** Later deliveries of the same webhook-id (retries), acknowledged and not processed again. */
  duplicates: number;
}

/** A delivery refused: why, and when. */
export interface RejectedWebhook {
  webhook_id: string | null;
  reason: string;
  received_at: string;
}

export type ReceiveOutcome =
  | { status: 'accepted'; webhook: ReceivedWebhook }
  | { status: 'duplicate'; webhook: ReceivedWebhook }
  | { status: 'rejected'; reason: string };

/** Ids remembered for deduplication, beyond the deliveries kept for display. */
const SEEN_IDS = 5000;
const KEEP_REJECTED = 20;

/**
 * The demo LMS's back end receiving the gateway's events, as an LMS developer would write it: verify each delivery
 * with the Standard Webhooks reference library (signature over id.timestamp.body, timestamp within five minutes, so a
 * forged, replayed-late or stale delivery is refused), then deduplicate by `webhook-id`, since delivery is
 * at-least-once and a retry carries the same id. It shares no code with the gateway's signer.
 */
@Injectable()
export class LmsWebhookReceiver {
  private readonly logger = new Logger('SandboxLmsBackEnd');
  private readonly verifier: Webhook;
  private readonly seen = new Map<string, ReceivedWebhook>();
  private received: ReceivedWebhook[] = [];
  private rejected: RejectedWebhook[] = [];

  constructor(@Inject(SANDBOX_CONFIG) private readonly config: SandboxConfig) {
    this.verifier = new Webhook(config.lmsBackend.webhookSecret);
    const file = config.lmsBackend.stateFile;
    if (file && existsSync(file)) this.restore(file);
  }

  receive(body: string, headers: Record<string, string | string[] | undefined>): ReceiveOutcome {
    const single = (name: string) => {
      const value = headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const id = single('webhook-id') ?? null;
    let payload: { type?: unknown; timestamp?: unknown; data?: unknown };
    try {
      payload = this.verifier.verify(body, {
        'webhook-id': id ?? '',
        'webhook-signature': single('webhook-signature') ?? '',
        'webhook-timestamp': single('webhook-timestamp') ?? '',
      }) as typeof payload;
    } catch (error) {
      const reason = error instanceof WebhookVerificationError ? error.message : 'The body is not JSON';
      this.rejected = [{ reason, received_at: new Date().toISOString(), webhook_id: id }, ...this.rejected].slice(
        0,
        KEEP_REJECTED,
      );
      return { reason, status: 'rejected' };
    }
    const known = this.seen.get(id!);
    if (known) {
      known.duplicates += 1;
      this.persist();
      return { status: 'duplicate', webhook: known };
    }
    const webhook: ReceivedWebhook = {
      data: payload.data ?? null,
      duplicates: 0,
      received_at: new Date().toISOString(),
      timestamp: typeof payload.timestamp === 'string' ? payload.timestamp : '',
      type: typeof payload.type === 'string' ? payload.type : '',
      webhook_id: id!,
    };
    this.remember(webhook);
    this.received = [webhook, ...this.received].slice(0, this.config.lmsBackend.keep);
    this.persist();
    return { status: 'accepted', webhook };
  }

  /** Newest first. */
  list(): { received: ReceivedWebhook[]; rejected: RejectedWebhook[] } {
    return { received: this.received, rejected: this.rejected };
  }

  private remember(webhook: ReceivedWebhook): void {
    this.seen.set(webhook.webhook_id, webhook);
    if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.keys().next().value as string);
  }

  private persist(): void {
    const file = this.config.lmsBackend.stateFile;
    if (!file) return;
    try {
      mkdirSync(dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify({ received: this.received, version: 1 }));
      renameSync(temporary, file);
    } catch (error) {
      this.logger.warn(`Cannot write ${file}: ${(error as Error).message}`);
    }
  }

  private restore(file: string): void {
    try {
      const state = JSON.parse(readFileSync(file, 'utf8')) as { received?: ReceivedWebhook[] };
      this.received = (state.received ?? []).slice(0, this.config.lmsBackend.keep);
      for (const webhook of [...this.received].reverse()) this.remember(webhook);
    } catch (error) {
      this.logger.warn(`Ignoring ${file}: ${(error as Error).message}`);
    }
  }
}
