import { Transform, plainToInstance } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidationError,
  validateSync,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/**
 * Demo values that make a fresh checkout run against the bundled sandbox. Production refuses every one of
 * them (see productionProblems in app-config.ts).
 */
export const DEMO_DEFAULTS = {
  API_KEYS: 'demo:demo-api-key-0123456789abcdef',
  BAZAAR_CLIENT_ID: 'demo-lms',
  BAZAAR_SECRET_KEY: 'demo-bazaar-secret-bc0ec839034cc0a4fe68af',
  LMS_JWT_SECRET: 'demo-lms-jwt-secret-at-least-32-bytes-long',
  SCORM_APP_ID: 'DEMOAPP',
  SCORM_SECRET_KEY: 'demo-scorm-secret-key-0123456789',
  WEBHOOK_PASSWORD: 'demo-webhook-password',
  WEBHOOK_USERNAME: 'scorm-cloud',
} as const;

/** Every variable the gateway reads, with its default. `.env.example` mirrors this list. */
export class EnvironmentVariables {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  @IsOptional()
  @Transform(trim)
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, { message: 'PUBLIC_BASE_URL must be an http(s) URL without query' })
  PUBLIC_BASE_URL?: string;

  @Transform(trim)
  @Matches(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, {
    message: 'DATABASE_URL must be sqlite:<file path>, sqlite::memory: or postgres://user@host:port/database',
  })
  DATABASE_URL = 'sqlite:data/gateway.sqlite';

  @IsString()
  API_KEYS: string = DEMO_DEFAULTS.API_KEYS;

  @IsString()
  @MinLength(32, { message: 'LMS_JWT_SECRET must be at least 32 characters (HS256 needs a 256-bit key)' })
  LMS_JWT_SECRET: string = DEMO_DEFAULTS.LMS_JWT_SECRET;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100000)
  AUTH_FAILURE_LIMIT = 20;

  @Transform(trim)
  @IsString()
  TRUST_PROXY = 'loopback';

  /** Several instances: the auth-failure limit is counted in Redis when set (else in PostgreSQL, or in memory). */
  @IsOptional()
  @Transform(trim)
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  WEB_CONCURRENCY = 1;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  JOB_LEASE_MS = 60_000;

  /** How often the retention job prunes; 0 turns pruning off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  RETENTION_INTERVAL_MS = 600_000;

  /** Rows per pruning transaction: small, so a postback never waits long behind one. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  RETENTION_BATCH_SIZE = 500;

  /** Days a stored postback keeps its raw body (its parsed fields stay); 0 keeps bodies forever. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(36_500)
  RETENTION_POSTBACK_BODY_DAYS = 90;

  /** Days a stored postback is kept at all (then deleted, and SQLite's file shrinks); 0 keeps them forever. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(36_500)
  RETENTION_POSTBACK_DAYS = 365;

  /** Days an event delivery attempt is kept; 0 keeps them forever. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(36_500)
  RETENTION_DELIVERY_DAYS = 30;
  /** The live event stream (GET /api/v1/events/stream): a comment line this often keeps proxies from closing it. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(300_000)
  EVENT_STREAM_HEARTBEAT_MS = 15_000;

  /** The stream's safety net: it wakes on every commit that appends (and NOTIFY), and also looks this often. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  EVENT_STREAM_SAFETY_POLL_MS = 60_000;

  /** The `retry:` hint: how long a browser's EventSource waits before reconnecting. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(300_000)
  EVENT_STREAM_RETRY_MS = 3000;

  /** Open streams one caller (API key or user) may hold, on all instances together (counted in PostgreSQL). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  EVENT_STREAM_MAX_PER_CALLER = 5;

  /** Lifetime of a single-use stream ticket (POST /api/v1/events/stream-tickets). */
  @Transform(toInt)
  @IsInt()
  @Min(5)
  @Max(600)
  EVENT_STREAM_TICKET_TTL_S = 60;

  @IsString()
  ALLOWED_RETURN_ORIGINS = 'http://localhost:3100,http://127.0.0.1:3100';

  @IsString()
  CORS_ORIGINS = 'https://cloud.scorm.com';

  @Transform(trim)
  @Matches(/^https?:\/\/\S+$/, { message: 'BAZAAR_BASE_URL must be an http(s) URL' })
  BAZAAR_BASE_URL = 'http://127.0.0.1:3100/bazaar/api/v1';

  @IsString()
  @MinLength(1)
  @MaxLength(128)
  BAZAAR_CLIENT_ID: string = DEMO_DEFAULTS.BAZAAR_CLIENT_ID;

  @IsString()
  @MinLength(16, { message: 'BAZAAR_SECRET_KEY must be at least 16 characters' })
  BAZAAR_SECRET_KEY: string = DEMO_DEFAULTS.BAZAAR_SECRET_KEY;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(120000)
  BAZAAR_TIMEOUT_MS = 5000;

  @IsIn(['v1', 'v2'])
  SCORM_CLOUD_API: 'v1' | 'v2' = 'v2';

  @IsOptional()
  @Transform(trim)
  @Matches(/^https?:\/\/\S+$/, { message: 'SCORM_CLOUD_BASE_URL must be an http(s) URL' })
  SCORM_CLOUD_BASE_URL?: string;

  @IsString()
  @MinLength(1)
  SCORM_APP_ID: string = DEMO_DEFAULTS.SCORM_APP_ID;

  @IsString()
  @MinLength(8, { message: 'SCORM_SECRET_KEY must be at least 8 characters' })
  SCORM_SECRET_KEY: string = DEMO_DEFAULTS.SCORM_SECRET_KEY;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(300000)
  SCORM_TIMEOUT_MS = 15000;

  @IsString()
  SCORM_PRIVATE_KEY_PATH = 'keys/scorm_private_key.pem';

  @IsString()
  SCORM_PUBLIC_KEY_PATH = 'keys/scorm_public_key.pem';

  /**
   * A SCORM Cloud realm user's email: v2's learner data deletion (POST /learner/{id}/delete-information) requires
   * one. Unset: DELETE /api/v1/learners/{id} is refused on v2 before anything is erased.
   */
  @IsOptional()
  @Transform(trim)
  @Matches(/^[^\s@]+@[^\s@]+$/, { message: 'SCORM_CLOUD_REALM_USER_EMAIL must be an email address' })
  SCORM_CLOUD_REALM_USER_EMAIL?: string;

  @IsString()
  // SCORM Cloud's v2 postbacks send HTTP Basic, which splits user:password at the first colon.
  @Matches(/^[^:]*$/, { message: 'WEBHOOK_USERNAME must not contain ":" (HTTP Basic cannot carry it)' })
  WEBHOOK_USERNAME: string = DEMO_DEFAULTS.WEBHOOK_USERNAME;

  @IsString()
  WEBHOOK_PASSWORD: string = DEMO_DEFAULTS.WEBHOOK_PASSWORD;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  WEBHOOK_RECONCILE_INTERVAL_MS = 300_000;

  /** How often unfinished course imports are asked about (their `course.import_finished` event); 0: never. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  SCORM_IMPORT_WATCH_INTERVAL_MS = 30_000;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(604_800_000)
  WEBHOOK_POSTBACK_OVERDUE_MS = 900_000;

  @IsIn(['none', 'ngrok'])
  TUNNEL: 'none' | 'ngrok' = 'none';

  @IsOptional()
  @IsString()
  NGROK_AUTHTOKEN?: string;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  SANDBOX_PORT = 3100;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' = 'info';

  /** Write log lines to this file instead of stdout (the test stacks capture and scan them for secrets). */
  @IsOptional()
  @IsString()
  LOG_FILE?: string;

  /** Serve Prometheus metrics on this port (its own listener, never the public API); unset = off. */
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'METRICS_PORT must be a port number (1-65535)' })
  @Min(1, { message: 'METRICS_PORT must be a port number (1-65535)' })
  @Max(65535, { message: 'METRICS_PORT must be a port number (1-65535)' })
  METRICS_PORT?: number;

  @Transform(trim)
  @Matches(/^([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/, {
    message: 'METRICS_HOST must be an IP address or host name to bind the metrics listener to',
  })
  METRICS_HOST = '127.0.0.1';

  /** When set, a scrape must send `Authorization: Bearer <METRICS_TOKEN>`. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9\-._~+/]{16,}=*$/, {
    message: 'METRICS_TOKEN must be at least 16 characters of letters, digits and - . _ ~ + / (a Bearer token)',
  })
  METRICS_TOKEN?: string;

  /** OTLP/HTTP collector base URL (the exporter posts to <endpoint>/v1/traces); unset = tracing off. */
  @IsOptional()
  @Transform(trim)
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, {
    message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL without query, e.g. http://127.0.0.1:4318',
  })
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;

  @IsIn(['http/protobuf', 'http/json'], {
    message: 'OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (gRPC is not supported)',
  })
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' | 'http/json' = 'http/protobuf';

  /** Extra headers for the collector, `key=value,key2=value2` (e.g. an API key of a hosted collector). */
  @IsOptional()
  @Matches(/^\s*[^\s=,]+\s*=[^,]*(,\s*[^\s=,]+\s*=[^,]*)*$/, {
    message: 'OTEL_EXPORTER_OTLP_HEADERS must be a comma list of key=value pairs',
  })
  OTEL_EXPORTER_OTLP_HEADERS?: string;

  @Transform(trim)
  @Matches(/^\S{1,128}$/, { message: 'OTEL_SERVICE_NAME must be 1-128 characters without spaces' })
  OTEL_SERVICE_NAME = 'lms-gateway';

  /** Webhook subscriptions declared for infrastructure as code: a JSON array (see README, "Events for the LMS"). */
  @IsOptional()
  @IsString()
  EVENT_SUBSCRIPTIONS?: string;

  /** The same JSON array in a file (EVENT_SUBSCRIPTIONS wins when both are set). */
  @IsOptional()
  @IsString()
  EVENT_SUBSCRIPTIONS_FILE?: string;

  /** Encrypts subscription secrets at rest (any string of 32+ characters); unset: derived from LMS_JWT_SECRET. */
  @IsOptional()
  @MinLength(32, { message: 'EVENT_SECRETS_KEY must be at least 32 characters' })
  EVENT_SECRETS_KEY?: string;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  EVENT_DELIVERY_TIMEOUT_MS = 15_000;

  /** Requests in flight to one endpoint from one instance. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  EVENT_DELIVERY_CONCURRENCY = 32;

  /** The safety-net poll for due retries and missed signals. */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(600_000)
  EVENT_DELIVERY_POLL_MS = 2_000;

  /** The retry delays after each failed attempt, e.g. `0,5s,5m,30m,2h,5h,10h,10h` (the default); jittered +-20%. */
  @IsOptional()
  @Matches(/^\s*\d+(ms|s|m|h)?\s*(,\s*\d+(ms|s|m|h)?\s*)*$/, {
    message: 'EVENT_DELIVERY_RETRY_SCHEDULE must be a comma list of delays like 0,5s,5m,30m,2h',
  })
  EVENT_DELIVERY_RETRY_SCHEDULE?: string;

  /** Bench only: `off` appends no events (the "without the outbox" figure); refused in production. */
  @IsIn(['on', 'off'])
  EVENT_OUTBOX: 'on' | 'off' = 'on';
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

/** Empty strings count as unset, so `FOO=` in a .env file falls back to the default. */
export function validateEnvironment(raw: Record<string, string | undefined>): EnvironmentVariables {
  const known = Object.keys(new EnvironmentVariables());
  const input: Record<string, string> = {};
  for (const key of [
    ...known,
    'PUBLIC_BASE_URL',
    'SCORM_CLOUD_BASE_URL',
    'SCORM_CLOUD_REALM_USER_EMAIL',
    'NGROK_AUTHTOKEN',
    'LOG_FILE',
    'METRICS_PORT',
    'METRICS_TOKEN',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'OTEL_EXPORTER_OTLP_HEADERS',
    'REDIS_URL',
    'EVENT_SUBSCRIPTIONS',
    'EVENT_SUBSCRIPTIONS_FILE',
    'EVENT_SECRETS_KEY',
    'EVENT_DELIVERY_RETRY_SCHEDULE',
  ]) {
    const value = raw[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const env = plainToInstance(EnvironmentVariables, input, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false });
  if (errors.length) throw new ConfigValidationError(flatten(errors));
  return env;
}

function flatten(errors: ValidationError[]): string[] {
  const messages = errors.flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) ? message : `${error.property}: ${message}`,
    ),
  );
  // One rule may be checked by several constraints (a port: integer, minimum, maximum); say it once.
  return [...new Set(messages)];
}
