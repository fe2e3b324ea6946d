import { AppConfigService } from '@app/config';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import http from 'node:http';
import https from 'node:https';

import {
  EndpointAddressBlockedError,
  EndpointRules,
  assertLiteralAllowed,
  pinnedLookup,
} from '../subscriptions/endpoint-url.policy';

/** What the log keeps of a response body. */
export const RESPONSE_EXCERPT_BYTES = 1024;
/** Read past the excerpt (to reuse the connection) up to this much, then hang up. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface EndpointAnswer {
  /** Undefined when no response came. */
  statusCode?: number;
  retryAfter?: string;
  excerpt?: string;
  /** Why no response came (time-out, connection refused, blocked address). */
  error?: string;
  timedOut?: boolean;
  durationMs: number;
}

/**
 * The one client for LMS webhook endpoints: POSTs a signed event, never follows a redirect, times out after
 * EVENT_DELIVERY_TIMEOUT_MS (the whole exchange), keeps 1 kB of the answer. Connections are kept alive per host and
 * made only to addresses the endpoint rules allow (`pinnedLookup`).
 */
@Injectable()
export class LmsEndpointClient implements OnModuleDestroy {
  private readonly rules: EndpointRules;
  private readonly timeoutMs: number;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(config: AppConfigService) {
    this.rules = { production: config.env === 'production' };
    this.timeoutMs = config.eventDelivery.timeoutMs;
    const lookup = pinnedLookup(this.rules) as unknown as http.AgentOptions['lookup'];
    this.httpAgent = new http.Agent({ keepAlive: true, lookup, maxFreeSockets: 256 });
    this.httpsAgent = new https.Agent({ keepAlive: true, lookup, maxFreeSockets: 256 });
  }

  onModuleDestroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  post(target: string, headers: Record<string, string>, body: string): Promise<EndpointAnswer> {
    const started = performance.now();
    const took = () => performance.now() - started;
    return new Promise<EndpointAnswer>((resolve) => {
      let url: URL;
      try {
        url = new URL(target);
        assertLiteralAllowed(url, this.rules);
      } catch (error) {
        resolve({ durationMs: took(), error: describe(error) });
        return;
      }
      const secure = url.protocol === 'https:';
      const payload = Buffer.from(body);
      let settled = false;
      const finish = (answer: Omit<EndpointAnswer, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...answer, durationMs: took() });
      };
      const request = (secure ? https : http).request(url, {
        agent: secure ? this.httpsAgent : this.httpAgent,
        headers: {
          ...headers,
          'content-length': String(payload.length),
          'content-type': 'application/json',
          'user-agent': 'lms-gateway-webhooks/1',
        },
        method: 'POST',
      });
      const timer = setTimeout(() => {
        finish({ error: `no answer within ${this.timeoutMs} ms`, timedOut: true });
        request.destroy();
      }, this.timeoutMs);
      request.on('error', (error) => finish({ error: describe(error) }));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        let read = 0;
        const retryAfter = response.headers['retry-after'];
        const done = () =>
          finish({
            excerpt: Buffer.concat(chunks).toString('utf8'),
            retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
            statusCode: response.statusCode,
          });
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (kept < RESPONSE_EXCERPT_BYTES) {
            const part = chunk.subarray(0, RESPONSE_EXCERPT_BYTES - kept);
            chunks.push(part);
            kept += part.length;
          }
          if (read > MAX_RESPONSE_BYTES) {
            done();
            response.destroy();
          }
        });
        response.on('end', done);
        response.on('error', done);
      });
      request.end(payload);
    });
  }
}

function describe(error: unknown): string {
  if (error instanceof EndpointAddressBlockedError) return error.message;
  const err = error as NodeJS.ErrnoException;
  return (err?.code ? `${err.code}: ${err.message}` : String(err?.message ?? error)).slice(0, 500);
}
