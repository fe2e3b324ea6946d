import { AppConfigService } from '@app/config';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Client } from 'pg';
import { DataSource } from 'typeorm';

interface Subscription {
  handler: (payload: string) => void;
  /** Called after every (re)connection: notifications sent while disconnected are gone, so catch up. */
  onConnect?: () => void;
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;

/**
 * PostgreSQL LISTEN/NOTIFY between instances: one dedicated connection per process listens on the channels
 * subscribed to and reconnects by itself (the database restarting must not need a gateway restart); NOTIFY goes
 * through the pool. Only on PostgreSQL: a SQLite file has one process, which has nobody to tell.
 */
@Injectable()
export class DatabaseNotifications implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseNotifications.name);
  private readonly subscriptions = new Map<string, Subscription[]>();
  readonly available: boolean;
  private client: Client | undefined;
  private connecting = false;
  private closed = false;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfigService,
  ) {
    this.available = config.database.type === 'postgres';
  }

  /** Calls `handler` with each payload sent on `channel` by any instance (this one included). */
  subscribe(channel: string, handler: (payload: string) => void, onConnect?: () => void): void {
    if (!this.available) return;
    const known = this.subscriptions.get(channel);
    this.subscriptions.set(channel, [...(known ?? []), { handler, onConnect }]);
    if (this.client && !known) {
      this.client.query(`LISTEN ${quoteIdent(channel)}`).catch(() => this.client?.end().catch(() => undefined));
    }
    if (this.client && onConnect) onConnect();
    this.connect();
  }

  async notify(channel: string, payload: string): Promise<void> {
    if (!this.available) return;
    await this.dataSource.query('SELECT pg_notify($1, $2)', [channel, payload]);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.client?.end().catch(() => undefined);
  }

  private connect(): void {
    if (this.client || this.connecting || this.closed || this.config.database.type !== 'postgres') return;
    this.connecting = true;
    // pg is loaded only on PostgreSQL: a SQLite gateway never holds the driver in memory.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client: PgClient } = require('pg') as typeof import('pg');
    const client = new PgClient({ connectionString: this.config.database.url, connectionTimeoutMillis: 5000 });
    const lost = (error?: unknown) => {
      if (this.client === client) this.client = undefined;
      if (this.closed) return;
      if (error) this.logger.warn({ err: error }, 'Database notifications connection lost; reconnecting');
      this.retry();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', ({ channel, payload }) => {
      for (const { handler } of this.subscriptions.get(channel) ?? []) handler(payload ?? '');
    });
    client
      .connect()
      .then(async () => {
        for (const channel of this.subscriptions.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
        this.client = client;
        this.connecting = false;
        this.retryMs = RETRY_MIN_MS;
        if (this.closed) await client.end();
        else for (const subscription of [...this.subscriptions.values()].flat()) subscription.onConnect?.();
      })
      .catch((error: unknown) => {
        this.connecting = false;
        client.removeAllListeners('end');
        client.end().catch(() => undefined);
        lost(error);
      });
  }

  private retry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
  }
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
