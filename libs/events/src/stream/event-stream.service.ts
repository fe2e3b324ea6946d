import { Caller, describeCaller, mayObserve } from '@app/auth';
import { DomainError, RateLimitedError } from '@app/common';
import { AppConfigService } from '@app/config';
import { BeforeApplicationShutdown, Injectable, Logger, MessageEvent } from '@nestjs/common';
import { EMPTY, Observable, Subscriber } from 'rxjs';

import { EventSignal } from '../event-signal';
import { EventRepository } from '../repositories/event.repository';
import { eventScopeOf } from './caller-scope';

/** Events read per query while replaying or catching up. */
export const STREAM_PAGE = 100;

/** Where a stream starts: after this outbox position, or (undefined) after the newest one now. */
export interface StreamStart {
  caller: Caller;
  afterSeq?: number;
  /** Aborted when the response ends, however it ends (Nest's @SseSignal()). */
  signal: AbortSignal;
  /** The HTTP response, closed with its connection at shutdown. */
  response?: StreamResponse;
}

/** What shutdown needs of an HTTP response: to know when it has finished, and to close its connection. */
export interface StreamResponse {
  writableFinished: boolean;
  once(event: 'close' | 'finish', listener: () => void): unknown;
  socket: { end(): void } | null;
}

const SHUTDOWN_WAIT_MS = 1000;

/**
 * The live event stream behind `GET /api/v1/events/stream`. Each connection keeps its own cursor (an outbox seq) and
 * reads the outbox from there, filtered for its caller, whenever EventSignal says events were appended (a local
 * commit, or another instance's NOTIFY); a slow safety poll covers a lost notification. Replays after Last-Event-ID
 * are the same reads, in pages. The outbox is the truth: a stream never holds events the database does not.
 */
@Injectable()
export class EventStreamService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(EventStreamService.name);
  private readonly openPerCaller = new Map<string, number>();
  private readonly live = new Map<Subscriber<MessageEvent>, StreamResponse | undefined>();
  private closing = false;

  constructor(
    private readonly events: EventRepository,
    private readonly appended: EventSignal,
    private readonly config: AppConfigService,
  ) {}

  /** Streams open on this instance. */
  get openCount(): number {
    return this.live.size;
  }

  /**
   * The caller's stream. Answers synchronously, so a refusal (the per-caller limit) still gets its own status: an SSE
   * response's headers go out as soon as the Observable exists.
   */
  open({ caller, afterSeq, signal, response }: StreamStart): Observable<MessageEvent> {
    if (this.closing) throw new DomainError('SHUTTING_DOWN', 'The gateway is shutting down; reconnect', 'unavailable');
    const release = this.reserve(caller);
    signal.addEventListener('abort', release, { once: true });
    if (signal.aborted) return EMPTY;
    return new Observable<MessageEvent>((subscriber) => this.run(subscriber, caller, afterSeq, release, response));
  }

  /**
   * Ends every stream and closes its connection, so the HTTP server can close at once (a kept-alive connection would
   * hold it for its idle time-out); EventSource clients reconnect, to another instance behind the balancer.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    const ended = [...this.live].map(([subscriber, response]) => {
      subscriber.complete();
      if (!response) return undefined;
      return new Promise<void>((resolve) => {
        const close = () => {
          response.socket?.end();
          resolve();
        };
        if (response.writableFinished) close();
        else {
          response.once('finish', close);
          response.once('close', close);
        }
      });
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(ended),
      new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS).unref())),
    ]);
    clearTimeout(timer);
  }

  /** Counts an open stream against the caller's limit; answers the (idempotent) release. */
  private reserve(caller: Caller): () => void {
    const key = describeCaller(caller);
    const max = this.config.eventStream.maxPerCaller;
    const open = this.openPerCaller.get(key) ?? 0;
    if (open >= max) {
      throw new RateLimitedError(
        'STREAM_LIMIT',
        `${max} event streams are already open for this caller on this instance; close one first`,
        Math.ceil(this.config.eventStream.retryMs / 1000),
      );
    }
    this.openPerCaller.set(key, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.openPerCaller.get(key) ?? 1) - 1;
      if (left > 0) this.openPerCaller.set(key, left);
      else this.openPerCaller.delete(key);
    };
  }

  private run(
    subscriber: Subscriber<MessageEvent>,
    caller: Caller,
    afterSeq: number | undefined,
    release: () => void,
    response: StreamResponse | undefined,
  ): () => void {
    const { heartbeatMs, retryMs, safetyPollMs } = this.config.eventStream;
    const scope = eventScopeOf(caller);
    /** The last position read; -1 until the start is known. */
    let cursor = -1;
    let reading = false;
    let again = false;
    let closed = false;

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
          let page;
          do {
            page = await this.events.after(cursor, STREAM_PAGE, scope);
            if (closed) return;
            for (const event of page) {
              cursor = event.seq;
              if (!mayObserve(caller, { contextId: event.contextId, learnerId: event.learnerId })) continue;
              subscriber.next({ data: event.payload, id: String(event.seq), type: event.type });
            }
          } while (page.length === STREAM_PAGE);
        } while (again && !closed);
      } catch (error) {
        // The database away: keep the connection; the next signal or safety poll reads again from the cursor.
        this.logger.warn({ err: error }, 'Event stream read failed; reading again on the next signal');
      } finally {
        reading = false;
      }
    };

    const start = async (): Promise<void> => {
      try {
        const position = afterSeq ?? (await this.events.latestSeq());
        if (closed) return;
        cursor = position;
      } catch (error) {
        subscriber.error(error);
        return;
      }
      // The starting position as the stream's first id: a client that connected "from now" resumes from here.
      subscriber.next({ id: String(cursor), retry: retryMs });
      await read();
    };

    this.live.set(subscriber, response);
    const stopListening = this.appended.onAppended(() => void read());
    const heartbeat = setInterval(() => subscriber.next({ comment: 'heartbeat' }), heartbeatMs);
    const poll = setInterval(() => void read(), safetyPollMs);
    heartbeat.unref();
    poll.unref();
    void start();

    return () => {
      closed = true;
      clearInterval(heartbeat);
      clearInterval(poll);
      stopListening();
      this.live.delete(subscriber);
      release();
    };
  }
}
