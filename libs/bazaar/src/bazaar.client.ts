import { DomainError, ErrorCode, GatewayMetrics } from '@app/common';
import { AppConfigService, isAllowedUpstream } from '@app/config';
import { Injectable, Logger } from '@nestjs/common';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

import { BazaarRequestSigner } from './bazaar-request.signer';

export type BazaarEndpoint = 'browse' | 'view';

/** Connection failures that happen before Bazaar saw the request. */
const RETRYABLE_CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN']);
const RETRY_DELAY_MS = 50;
const MAX_ERROR_TEXT = 500;
/** Bazaar answers a URL in a small JSON object; a larger answer is not one. */
const MAX_RESPONSE_BYTES = 256 * 1024;

interface BazaarResponse {
  status: number;
  data: string;
}

/** A transport failure with Node's error code (ECONNREFUSED, ETIMEDOUT, ...). */
type TransportError = Error & { code?: string; afterResponse?: boolean };

/**
 * The only code that knows Bazaar's URLs, auth header, time-out and retry rule. Every failure leaves it as a
 * DomainError whose message names Bazaar; a URL it returns is https (or loopback http, the sandbox).
 */
@Injectable()
export class BazaarClient {
  private readonly logger = new Logger(BazaarClient.name);
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 64 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64 });

  constructor(
    private readonly signer: BazaarRequestSigner,
    private readonly config: AppConfigService,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** `lms/browse`: a one-time store URL. */
  browse(args: object): Promise<string> {
    return this.call('browse', args, 'browse_url');
  }

  /** `lms/view`: a one-time view URL. Always a fresh request (the Bazaar spec: "LMS must always make a new view request"). */
  view(args: object): Promise<string> {
    return this.call('view', args, 'view_url');
  }

  private async call(endpoint: BazaarEndpoint, args: object, urlField: string): Promise<string> {
    const { baseUrl, timeoutMs } = this.config.bazaar;
    const { body, authentication } = this.signer.sign(args);
    const response = await this.send(`${baseUrl}/lms/${endpoint}`, body, authentication, timeoutMs, endpoint);
    return this.interpret(response, endpoint, urlField);
  }

  private async send(
    url: string,
    body: Buffer,
    authentication: string,
    timeoutMs: number,
    endpoint: BazaarEndpoint,
  ): Promise<BazaarResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.metrics.timeUpstream('bazaar', `lms/${endpoint}`, () =>
          this.post(new URL(url), body, authentication, timeoutMs),
        );
      } catch (error) {
        const code = (error as TransportError).code ?? '';
        // Connection failures before Bazaar answered: it never saw the request, so one more attempt cannot act twice.
        if (attempt === 1 && !(error as TransportError).afterResponse && RETRYABLE_CONNECTION_CODES.has(code)) {
          this.logger.warn(`Bazaar lms/${endpoint}: connection failed (${code}); retrying once`);
          await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
          continue;
        }
        throw this.transportError(error as TransportError, endpoint, timeoutMs);
      }
    }
  }

  /**
   * One POST over the keep-alive agent with a deadline for the whole exchange; never follows a redirect. Plain
   * node:http on the bench's hot path: axios's per-request config merging and adapters cost more than the
   * loopback round trip to Bazaar itself (bench/bazaar.bench.js, README "Latency").
   */
  private post(url: URL, body: Buffer, authentication: string, timeoutMs: number): Promise<BazaarResponse> {
    return new Promise((resolve, reject) => {
      const https = url.protocol === 'https:';
      const req = (https ? httpsRequest : httpRequest)(
        url,
        {
          agent: https ? this.httpsAgent : this.httpAgent,
          headers: {
            Accept: 'application/json',
            Authentication: authentication,
            'Content-Length': body.length,
            'Content-Type': 'application/json; charset=utf-8',
          },
          method: 'POST',
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              req.destroy(
                Object.assign(transportFailure('ERESPONSETOOLARGE', 'response too large'), { afterResponse: true }),
              );
            } else chunks.push(chunk);
          });
          res.on('end', () => {
            clearTimeout(deadline);
            resolve({ data: Buffer.concat(chunks).toString('utf8'), status: res.statusCode ?? 0 });
          });
          res.on('error', (error: TransportError) => fail(Object.assign(error, { afterResponse: true })));
        },
      );
      const deadline = setTimeout(
        () => req.destroy(transportFailure('ETIMEDOUT', `timeout of ${timeoutMs}ms exceeded`)),
        timeoutMs,
      );
      function fail(error: Error) {
        clearTimeout(deadline);
        reject(error);
      }
      req.on('error', fail);
      req.end(body);
    });
  }

  private transportError(error: TransportError, endpoint: BazaarEndpoint, timeoutMs: number): DomainError {
    if (error.code === 'ETIMEDOUT' || error.code === 'ECONNABORTED') {
      return new DomainError(
        'BAZAAR_TIMEOUT',
        `Bazaar did not answer lms/${endpoint} within ${timeoutMs} ms`,
        'upstream_timeout',
        undefined,
        { cause: transportCause(error) },
      );
    }
    return new DomainError(
      'BAZAAR_UNAVAILABLE',
      `Bazaar could not be reached for lms/${endpoint} (${error.code ?? 'network error'})`,
      'upstream_unavailable',
      undefined,
      { cause: transportCause(error) },
    );
  }

  private interpret(response: BazaarResponse, endpoint: BazaarEndpoint, urlField: string): string {
    const { status } = response;
    const json = parseObject(response.data);
    const bazaarText = errorText(json);
    if (status === 401) {
      return fail(
        'BAZAAR_AUTH_REJECTED',
        `Bazaar refused our signature (${bazaarText ?? 'HTTP 401'}) — check BAZAAR_CLIENT_ID/BAZAAR_SECRET_KEY`,
        'upstream_rejected',
      );
    }
    if (status === 403) {
      return fail('BAZAAR_ACCESS_DENIED', `Bazaar refused access: ${bazaarText ?? 'HTTP 403'}`, 'forbidden');
    }
    if (status === 400 || (status === 200 && json?.success === 0)) {
      return fail(
        'BAZAAR_BAD_REQUEST',
        `Bazaar refused the lms/${endpoint} request: ${bazaarText ?? 'invalid parameters'}`,
        'upstream_bad_request',
      );
    }
    if (status >= 500) {
      return fail('BAZAAR_UNAVAILABLE', `Bazaar failed on lms/${endpoint} with HTTP ${status}`, 'upstream_unavailable');
    }
    if (status !== 200) {
      return fail(
        'BAZAAR_BAD_RESPONSE',
        `Bazaar answered lms/${endpoint} with unexpected HTTP ${status} (check BAZAAR_BASE_URL)`,
        'upstream_unavailable',
      );
    }
    if (!json) {
      return fail('BAZAAR_BAD_RESPONSE', `Bazaar answered lms/${endpoint} with malformed JSON`, 'upstream_unavailable');
    }
    const url = json[urlField];
    if (json.success !== 1 || typeof url !== 'string' || !isSafeUrl(url)) {
      return fail(
        'BAZAAR_BAD_RESPONSE',
        `Bazaar answered lms/${endpoint} without a valid https ${urlField}`,
        'upstream_unavailable',
      );
    }
    return url;
  }
}

/** Only what failed reaches the log: never the signed request (headers, user data). */
function transportCause(error: TransportError): Error {
  return new Error(`${error.code ?? 'network error'}: ${error.message}`);
}

function transportFailure(code: string, message: string): TransportError {
  return Object.assign(new Error(message), { code });
}

function fail(code: ErrorCode, message: string, kind: DomainError['kind']): never {
  throw new DomainError(code, message, kind);
}

function parseObject(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string' || !text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Bazaar's human-readable `error`, made safe to echo: one line, bounded. */
function errorText(json: Record<string, unknown> | undefined): string | undefined {
  const error = json?.error;
  if (typeof error !== 'string' || !error.trim()) return undefined;
  return error
    .replace(/\p{Cc}+/gu, ' ')
    .trim()
    .slice(0, MAX_ERROR_TEXT);
}

function isSafeUrl(value: string): boolean {
  try {
    return isAllowedUpstream(new URL(value));
  } catch {
    return false;
  }
}
