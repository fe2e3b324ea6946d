import { IncomingHttpHeaders, Server, ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** The JSON the gateway delivers (data read loosely: tests pick fields). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DeliveredEvent = { type: string; timestamp: string; data: Record<string, any> };

/** One request as the LMS receiver got it, verified with the standard `standardwebhooks` verifier. */
export interface ReceivedDelivery {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  headers: IncomingHttpHeaders;
  verified: boolean;
  payload?: DeliveredEvent;
  path: string;
}

/** What the receiver answers (after `delayMs` when set, else after the receiver's `delayMs`); `hang` never answers. */
export type ReceiverAnswer =
  { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'hang';

/**
 * A real LMS back end on a loopback port: verifies every request with `standardwebhooks` (as an LMS developer would),
 * keeps what it got, and deduplicates by `webhook-id` as the README tells receivers to.
 */
export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  /** Verified deliveries by webhook-id, first arrival kept (the receiver's dedup). */
  readonly unique = new Map<string, ReceivedDelivery>();
  answer: (delivery: ReceivedDelivery) => ReceiverAnswer = () => ({ status: 204 });
  /** How long the receiver takes to answer (a slow LMS). */
  delayMs = 0;
  private readonly hanging = new Set<ServerResponse>();
  private server!: Server;
  url = '';
  port = 0;

  constructor(public secret: string) {}

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.handle(req.url ?? '/', req.headers, Buffer.concat(chunks).toString('utf8'), res));
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}/lms/webhooks`;
    return this;
  }

  private handle(path: string, headers: IncomingHttpHeaders, body: string, res: ServerResponse): void {
    const delivery: ReceivedDelivery = {
      body,
      headers,
      id: String(headers['webhook-id']),
      path,
      signature: String(headers['webhook-signature']),
      timestamp: String(headers['webhook-timestamp']),
      verified: false,
    };
    try {
      delivery.payload = new Webhook(this.secret).verify(body, headers as Record<string, string>) as DeliveredEvent;
      delivery.verified = true;
    } catch {
      delivery.verified = false;
    }
    this.received.push(delivery);
    if (!delivery.verified) {
      res.writeHead(401).end('signature refused');
      return;
    }
    const answer = this.answer(delivery);
    if (answer === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    const reply = () => {
      if (answer.status >= 200 && answer.status < 300 && !this.unique.has(delivery.id)) {
        this.unique.set(delivery.id, delivery);
      }
      if (!res.destroyed) res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
    };
    const delay = answer.delayMs ?? this.delayMs;
    if (delay) setTimeout(reply, delay);
    else reply();
  }

  /** Unique verified deliveries of `type` (all types when unset), in arrival order. */
  events(type?: string): ReceivedDelivery[] {
    return [...this.unique.values()].filter((d) => !type || d.payload?.type === type);
  }

  async waitFor(check: () => boolean, timeoutMs = 10_000, what = 'deliveries'): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > until) throw new Error(`Timed out waiting for ${what} (received ${this.received.length})`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Stops listening (the endpoint is down) and drops open connections. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
