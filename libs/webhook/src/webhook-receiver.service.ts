import { AuthFailureLimiter, WebhookCredentialsVerifier } from '@app/auth';
import {
  Clock,
  DomainError,
  GatewayMetrics,
  UnauthenticatedError,
  ValidationFailedError,
  authRateLimited,
} from '@app/common';
import { AppConfigService } from '@app/config';
import { PostbackTokenService } from '@app/scorm-cloud';
import { Injectable } from '@nestjs/common';
import * as crypto from 'node:crypto';

import { PostbackAcceptedDto } from './dto/postback-accepted.dto';
import { PostbackBatchWriter, StoredPostback } from './postback-batch.writer';
import { PostbackParser } from './postback.parser';
import type { ParsedPostback, PostbackRequest, PostbackShape } from './postback.types';

/** How long a token that verified stays trusted without re-checking its RS256 signature. */
const TOKEN_CACHE_MS = 60_000;
const TOKEN_CACHE_MAX = 10_000;
/**
 * Progress is ordered by the payload's own `updated`, so a postback dated ahead of now would pin its data
 * against every later correction from the API. SCORM Cloud stamps `updated` itself; allow only clock skew.
 */
const MAX_FUTURE_SKEW_MS = 5 * 60_000;

export interface ReceivedPostback extends StoredPostback {
  registrationId: string;
  shape: PostbackShape;
}

/** SCORM Cloud authenticates postbacks with HTTP Basic (or the same credentials as form fields). */
const BASIC_CHALLENGE = 'Basic realm="scorm-cloud-postback"';

/**
 * The postback pipeline shared by both HTTP entry points: authenticate (webhook credentials always; the
 * per-registration URL token when present), parse, and hand the result to the group-commit writer.
 */
@Injectable()
export class WebhookReceiverService {
  private readonly verifiedTokens = new Map<string, { registrationId: string; until: number }>();
  private readonly password: string;

  constructor(
    config: AppConfigService,
    private readonly clock: Clock,
    private readonly credentials: WebhookCredentialsVerifier,
    private readonly failures: AuthFailureLimiter,
    private readonly parser: PostbackParser,
    private readonly tokens: PostbackTokenService,
    private readonly writer: PostbackBatchWriter,
    private readonly metrics: GatewayMetrics,
  ) {
    this.password = config.webhook.password;
  }

  /** `receive`, answered in the REST shape. */
  async accept(req: PostbackRequest): Promise<PostbackAcceptedDto> {
    let received: ReceivedPostback;
    try {
      received = await this.receive(req);
    } catch (error) {
      // A refused postback's body is not trusted (an unauthenticated one is not even parsed): no shape.
      this.metrics.recordPostback(
        'unknown',
        error instanceof DomainError ? error.code.toLowerCase() : 'internal_error',
      );
      throw error;
    }
    const { duplicate, outcome, registrationId, shape } = received;
    this.metrics.recordPostback(shape, duplicate ? 'duplicate' : outcome);
    return { duplicate, outcome, registration_id: registrationId, status: 'success' };
  }

  async receive(req: PostbackRequest): Promise<ReceivedPostback> {
    const receivedAt = this.clock.now();
    // The same per-address limit as bearer tokens, so the webhook password cannot be guessed at speed.
    const blocked = this.failures.blockedFor(req.clientAddress);
    if (blocked) throw authRateLimited(blocked);
    let parsed: ParsedPostback;
    try {
      parsed = await this.authenticate(req);
    } catch (error) {
      if (error instanceof UnauthenticatedError) {
        const retryAfter = await this.failures.recordFailure(req.clientAddress);
        if (retryAfter) throw authRateLimited(retryAfter);
        throw error.withChallenge(BASIC_CHALLENGE);
      }
      throw error;
    }
    const { progress } = parsed;
    if (progress.updated && progress.updated.getTime() > receivedAt.getTime() + MAX_FUTURE_SKEW_MS) {
      throw new ValidationFailedError(
        'updated: must not lie more than 5 minutes in the future',
        { updated: ['must not lie more than 5 minutes in the future'] },
        'POSTBACK_INVALID',
      );
    }

    const basic = req.authorization !== undefined;
    // Secret fields are already dropped from forms and queries; this also catches the password echoed anywhere else.
    const raw =
      this.password.length >= 4 && parsed.redactedRaw.includes(this.password)
        ? parsed.redactedRaw.split(this.password).join('[Redacted]')
        : parsed.redactedRaw;
    const hash = bodyHash(parsed.shape, raw);
    const stored = await this.writer.store({
      authMethod: basic ? 'basic' : parsed.shape === 'query' ? 'query' : 'form',
      bodyHash: hash,
      contentType: req.method.toUpperCase() === 'GET' ? null : (req.contentType?.slice(0, 255) ?? null),
      // Same body means same parsed fields, so one key covers "same (registration, instance, updated) or same body".
      dedupKey: progress.updated
        ? `${progress.instance}|${progress.updated.toISOString()}|${progress.registrationId}`
        : `sha256:${hash}`,
      method: req.method.toUpperCase(),
      progress,
      rawBody: raw,
      receivedAt,
      shape: parsed.shape,
      tokenVerified: parsed.token !== undefined,
    });
    return { ...stored, registrationId: progress.registrationId, shape: parsed.shape };
  }

  /**
   * Webhook credentials first (HTTP Basic, or form/query fields), before the body is even parsed: a postback
   * without them is a 401 whatever its body. Then the payload, then the URL token when present.
   */
  private async authenticate(req: PostbackRequest): Promise<ParsedPostback> {
    if (req.authorization !== undefined) {
      if (!this.credentials.verifyBasicHeader(req.authorization)) throw badCredentials();
    } else {
      const { username, password } = this.parser.credentialsOf(req);
      if (!this.credentials.verify(username, password)) throw badCredentials();
    }
    const parsed = this.parser.parse(req);
    if (parsed.token !== undefined) await this.checkToken(parsed.token, parsed.progress.registrationId);
    return parsed;
  }

  /** The token in the postback URL names one registration; the payload must be about that one. */
  private async checkToken(token: string, registrationId: string): Promise<void> {
    const now = Date.now();
    let cached = this.verifiedTokens.get(token);
    if (!cached || cached.until < now) {
      const verified = await this.tokens.verify(token);
      cached = { registrationId: verified.registrationId, until: Math.min(now + TOKEN_CACHE_MS, expiryOf(token)) };
      if (this.verifiedTokens.size >= TOKEN_CACHE_MAX) this.verifiedTokens.clear();
      this.verifiedTokens.set(token, cached);
    }
    if (cached.registrationId !== registrationId) {
      throw new UnauthenticatedError(
        'POSTBACK_TOKEN_MISMATCH',
        'The postback token was issued for another registration than the one in the payload',
      );
    }
  }
}

function badCredentials(): UnauthenticatedError {
  return new UnauthenticatedError(
    'WEBHOOK_CREDENTIALS_INVALID',
    'Postbacks need the webhook user name and password (HTTP Basic, or form fields userName/username and password)',
  );
}

/** Node's one-shot crypto.hash (20.12+) costs about half of createHash for a postback-sized body. */
const oneShotHash = (crypto as unknown as { hash?: (algorithm: string, data: string) => string }).hash;

function bodyHash(shape: string, raw: string): string {
  const data = `${shape}\n${raw}`;
  return oneShotHash ? oneShotHash('sha256', data) : crypto.createHash('sha256').update(data).digest('hex');
}

/** The `exp` claim of an already verified JWT, in ms; a token without one is re-checked every minute. */
function expiryOf(token: string): number {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : Number.MAX_SAFE_INTEGER;
  } catch {
    return 0;
  }
}
