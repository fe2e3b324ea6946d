import { IncomingMessage, request } from 'node:http';

/** One message of an event stream as the EventSource algorithm would see it (comments kept apart). */
export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  retry?: number;
}

/** Thrown when the stream is refused: the status and the JSON error body. */
export class SseRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: IncomingMessage['headers'],
  ) {
    super(`stream refused: ${status} ${JSON.stringify(body)}`);
  }
}

/**
 * A minimal Server-Sent Events client over node:http that parses the wire format itself (fields, comments, blank-line
 * dispatch), so tests see exactly what a browser's EventSource would receive.
 */
export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  ended = false;
  private buffer = '';
  private current: SseMessage = {};
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly response: IncomingMessage,
    private readonly destroy: () => void,
  ) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.feed(chunk));
    const end = () => {
      this.ended = true;
      this.wake();
    };
    response.on('end', end);
    response.on('close', end);
    response.on('error', end);
  }

  get headers(): IncomingMessage['headers'] {
    return this.response.headers;
  }

  /** Messages that carry an event (data), without the id-only first message. */
  get events(): SseMessage[] {
    return this.messages.filter((message) => message.data !== undefined);
  }

  static open(url: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { Accept: 'text/event-stream', ...headers } }, (response) => {
        clearTimeout(timer);
        if (response.statusCode !== 200) {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => {
            let body: Record<string, unknown> = {};
            try {
              body = JSON.parse(text) as Record<string, unknown>;
            } catch {
              body = { text };
            }
            reject(new SseRefused(response.statusCode ?? 0, body, response.headers));
          });
          return;
        }
        resolve(new SseClient(response, () => req.destroy()));
      });
      const timer = setTimeout(() => req.destroy(new Error(`no answer from ${url} in ${timeoutMs} ms`)), timeoutMs);
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end();
    });
  }

  /** Waits until `check` holds over what has arrived (or the stream ends, or the time is up). */
  async until(what: string, check: (client: SseClient) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this)) {
      if (this.ended) throw new Error(`stream ended while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for `count` events in all. */
  eventsCount(count: number, timeoutMs = 5000): Promise<void> {
    return this.until(`${count} events (have ${this.events.length})`, (c) => c.events.length >= count, timeoutMs);
  }

  /** Stops reading from the socket (a slow client), until `resume()`. */
  pause(): void {
    this.response.pause();
  }

  resume(): void {
    this.response.resume();
  }

  close(): void {
    this.destroy();
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + (this.buffer.startsWith('\r\n', newline) ? 2 : 1));
      this.line(line);
    }
    this.wake();
  }

  private line(line: string): void {
    if (line === '') {
      if (Object.keys(this.current).length) this.messages.push(this.current);
      this.current = {};
      return;
    }
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data')
      this.current.data = this.current.data === undefined ? value : `${this.current.data}\n${value}`;
    else if (field === 'id') this.current.id = value;
    else if (field === 'event') this.current.event = value;
    else if (field === 'retry') this.current.retry = Number(value);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
