import { Caller, describeCaller, mayObserve } from '@app/auth';
import { DomainError, RateLimitedError } from '@app/common';
import { AppConfigService } from '@app/config';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { StoredEvent } from '../event.types';
import { EventSignal } from '../event-signal';
import { EventRepository } from '../repositories/event.repository';
import { eventScopeOf } from './caller-scope';
import { STREAM_LEASE_STORE, StreamLeaseStore } from './leases/stream-lease.store';

/** Events read per query while replaying or catching up. */
export const STREAM_PAGE = 100;
/** Heartbeats a client may stay unable to take more before its stream is closed (it holds one page meanwhile). */
const STALLED_HEARTBEATS = 4;
const SHUTDOWN_WAIT_MS = 1000;

/** Where a stream starts and whom it is for. */
export interface StreamStart {
  caller: Caller;
  /** After this outbox position; undefined: after the newest one now. */
  afterSeq?: number;
  request: IncomingMessage;
  response: ServerResponse;
  /** When the credential that opened the stream expires (epoch ms): the stream ends then, and the client reconnects. */
  until?: number;
}

/** An open stream's place in its caller's limit. */
interface Lease {
  id: string;
  /** Frees the place (idempotent; the store is told in the background). */
  release(): void;
}

const shuttingDown = () => new DomainError('SHUTTING_DOWN', 'The gateway is shutting down; reconnect', 'unavailable');

/** setTimeout's limit (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One Server-Sent Events message; the payload is one line of JSON, split defensively all the same. */
function message(event: StoredEvent): string {
  const data = event.payload
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join('');
  return `id: ${event.seq}\nevent: ${event.type}\n${data}\n`;
}

/** Resolves once the client has taken what is buffered for it, or has gone. */
function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.once('drain', done);
    response.once('close', done);
  });
}

/**
 * The live event stream behind `GET /api/v1/events/stream`. Each connection keeps its own cursor (an outbox seq) and
 * reads the outbox from there, filtered for its caller, whenever EventSignal says events were appended (a local
 * commit, or another instance's NOTIFY); a slow safety poll covers a lost notification. Replays after Last-Event-ID
 * are the same reads, in pages, each written only once the client has taken the previous one. The outbox is the
 * truth: a stream never holds more than one page the database does not also hold.
 */
@Injectable()
export class EventStreamService implements BeforeApplicationShutdown, OnModuleInit {
  private readonly logger = new Logger(EventStreamService.name);
  /** Open streams: their end function → the lease that counts them against their caller's limit. */
  private readonly live = new Map<() => void, string>();
  private readonly responses = new Set<ServerResponse>();
  /** Leases taken and not yet released (a closed stream's lease is being freed). */
  private held = 0;
  private renewal: NodeJS.Timeout | undefined;
  private renewing = false;
  private closing = false;

  constructor(
    private readonly events: EventRepository,
    private readonly appended: EventSignal,
    private readonly config: AppConfigService,
    @Inject(STREAM_LEASE_STORE) private readonly leases: StreamLeaseStore,
  ) {}

  /** Streams open on this instance; a closed one counts until its lease is released, so 0 means all are free. */
  get openCount(): number {
    return this.held;
  }

  onModuleInit(): void {
    if (!this.leases.renewEveryMs) return;
    this.renewal = setInterval(() => void this.renew(), this.leases.renewEveryMs);
    this.renewal.unref();
  }

  /**
   * Starts the caller's stream on `response`. A refusal (the per-caller limit, shutting down) throws before anything
   * is written, so the exception filter answers it with its own status.
   */
  async open({ caller, afterSeq, request, response, until }: StreamStart): Promise<void> {
    if (this.closing) throw shuttingDown();
    const lease = await this.reserve(caller);
    // The client may have gone, or shutdown begun, while the lease was being taken.
    const gone = response.destroyed || !response.socket || response.socket.destroyed;
    if (gone || this.closing) {
      lease.release();
      if (gone) return;
      throw shuttingDown();
    }
    this.run(caller, afterSeq, request, response, lease, until);
  }

  /**
   * Ends every stream and closes its connection, so the HTTP server can close at once (a kept-alive connection would
   * hold it for its idle time-out); EventSource clients reconnect, to another instance behind the balancer. The
   * leases go too, so the reconnections count only where they land.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.renewal);
    const responses = [...this.responses];
    for (const end of [...this.live.keys()]) end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([
        ...responses.map(
          (response) =>
            new Promise<void>((resolve) => {
              const close = () => {
                response.socket?.end();
                resolve();
              };
              if (response.writableFinished || response.destroyed) close();
              else {
                response.once('finish', close);
                response.once('close', close);
              }
            }),
        ),
        this.leases.releaseAll().catch((error: unknown) => {
          this.logger.warn({ err: error }, 'Releasing the stream leases failed; they expire by themselves');
        }),
      ]),
      new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS).unref())),
    ]);
    clearTimeout(timer);
  }

  /** Counts an open stream against the caller's limit (on every instance when shared); answers its lease. */
  private async reserve(caller: Caller): Promise<Lease> {
    const max = this.config.eventStream.maxPerCaller;
    const id = await this.leases.take(leaseKeyOf(caller), max);
    if (id === undefined) {
      const where = this.leases.shared ? '' : ' on this instance';
      throw new RateLimitedError(
        'STREAM_LIMIT',
        `${max} event streams are already open for this caller${where}; close one first`,
        Math.ceil(this.config.eventStream.retryMs / 1000),
      );
    }
    this.held++;
    let released = false;
    return {
      id,
      release: () => {
        if (released) return;
        released = true;
        this.leases
          .release(id)
          .catch((error: unknown) => {
            this.logger.warn({ err: error }, 'Releasing a stream lease failed; it expires by itself');
          })
          .finally(() => this.held--);
      },
    };
  }

  /**
   * Keeps this instance's leases counting, in one statement. A stream whose lease expired meanwhile (the database
   * was out of reach longer than a lease lasts) no longer counts anywhere, so it is ended: its client reconnects
   * and counts again.
   */
  private async renew(): Promise<void> {
    if (this.renewing || !this.live.size) return;
    this.renewing = true;
    // Only streams open now: each one's lease was committed before it was added here.
    const streams = [...this.live];
    try {
      const lost = new Set(await this.leases.renew(streams.map(([, id]) => id)));
      // A stream closed meanwhile released its lease itself: only those still open are ended here.
      const ended = streams.filter(([end, id]) => lost.has(id) && this.live.has(end));
      ended.forEach(([end]) => end());
      if (ended.length) this.logger.warn({ streams: ended.length }, 'Event streams whose lease expired were ended');
    } catch (error) {
      this.logger.warn({ err: error }, 'Renewing the stream leases failed; trying again at the next renewal');
    } finally {
      this.renewing = false;
    }
  }

  private run(
    caller: Caller,
    afterSeq: number | undefined,
    request: IncomingMessage,
    response: ServerResponse,
    lease: Lease,
    until: number | undefined,
  ): void {
    const { heartbeatMs, retryMs, safetyPollMs } = this.config.eventStream;
    const scope = eventScopeOf(caller);
    /** The last position read; -1 until the start is known. */
    let cursor = -1;
    let reading = false;
    let again = false;
    let closed = false;
    let stalled = 0;

    const read = async (): Promise<void> => {
      if (cursor < 0 || closed) return;
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          let page: StoredEvent[];
          do {
            page = await this.events.after(cursor, STREAM_PAGE, scope);
            if (closed) return;
            let text = '';
            for (const event of page) {
              cursor = event.seq;
              if (mayObserve(caller, { contextId: event.contextId, learnerId: event.learnerId }))
                text += message(event);
            }
            // The next page is read only once the client has taken this one: a slow client holds one page, never
            // the whole backlog.
            if (text && !response.write(text)) await drained(response);
          } while (page.length === STREAM_PAGE && !closed);
        } while (again && !closed);
      } catch (error) {
        // The database away: keep the connection; the next signal or safety poll reads again from the cursor.
        this.logger.warn({ err: error }, 'Event stream read failed; reading again on the next signal');
      } finally {
        reading = false;
      }
    };

    // A client that drains anything is reading, however slowly: only one that takes nothing for the whole span is
    // let go (a busy replay keeps the buffer full at every heartbeat, drained in between).
    response.on('drain', () => (stalled = 0));
    const stopListening = this.appended.onAppended(() => void read());
    const heartbeat = setInterval(() => {
      if (!response.writableNeedDrain) {
        stalled = 0;
        response.write(': heartbeat\n\n');
      } else if (++stalled >= STALLED_HEARTBEATS) {
        // A client that takes nothing for this long is gone or stuck; EventSource would reconnect and resume.
        response.destroy();
      }
    }, heartbeatMs);
    const poll = setInterval(() => void read(), safetyPollMs);
    // What the caller may see was decided by its token: when that expires, so does the stream.
    const expiry =
      until === undefined
        ? undefined
        : setTimeout(() => end(), Math.max(0, Math.min(until - Date.now(), MAX_TIMER_MS)));
    heartbeat.unref();
    poll.unref();
    expiry?.unref();

    const end = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      clearInterval(poll);
      clearTimeout(expiry);
      stopListening();
      this.live.delete(end);
      lease.release();
      if (!response.writableEnded) response.end();
    };
    this.live.set(end, lease.id);
    this.responses.add(response);
    response.once('close', () => {
      this.responses.delete(response);
      end();
    });
    request.socket.setNoDelay(true);
    request.socket.setKeepAlive(true);
    response.writeHead(200, {
      'Cache-Control': 'no-cache, no-store, no-transform',
      Connection: 'keep-alive',
      'Content-Type': 'text/event-stream; charset=utf-8',
      // nginx would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    response.flushHeaders();

    void (async () => {
      try {
        const position = afterSeq ?? (await this.events.latestSeq());
        if (closed) return;
        cursor = position;
      } catch (error) {
        this.logger.warn({ err: error }, 'Event stream could not start');
        response.destroy();
        return;
      }
      // The starting position as the stream's first id: a client that connected "from now" resumes from here.
      response.write(`id: ${cursor}\nretry: ${retryMs}\n\n`);
      await read();
    })();
  }
}

/**
 * The key a caller's streams are counted under: a hash of who they are, so the shared lease table (PostgreSQL) holds
 * no user id for a learner data deletion to find.
 */
function leaseKeyOf(caller: Caller): string {
  return createHash('sha256').update(describeCaller(caller), 'utf8').digest('base64url');
}
