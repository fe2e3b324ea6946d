import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';

import { ConfigValidationError, DEMO_DEFAULTS, EnvironmentVariables, validateEnvironment } from './environment.schema';

export type DatabaseConfig = { type: 'sqlite'; path: string } | { type: 'postgres'; url: string };

export interface ApiKeyConfig {
  name: string;
  key: string;
}

export interface AppConfig {
  env: EnvironmentVariables['NODE_ENV'];
  http: {
    port: number;
    host: string;
    /** Where SCORM Cloud and browsers reach the gateway; a tunnel may replace it at start-up. */
    publicBaseUrl: string;
    corsOrigins: string[];
    allowedReturnOrigins: string[];
    /** Express `trust proxy`: which peers may name the client in X-Forwarded-For (false: none). */
    trustProxy: false | number | string[];
  };
  database: DatabaseConfig;
  /** Running as several processes on one database. */
  instances: {
    /** Gateway processes this start runs on one machine (node:cluster); more than one needs PostgreSQL. */
    webConcurrency: number;
    /** How long a claim on background work lasts without renewal: a killed instance's work waits at most this. */
    jobLeaseMs: number;
    /** Where the auth-failure limit is counted when set (else PostgreSQL, or memory for one SQLite process). */
    redisUrl?: string;
  };
  auth: { apiKeys: ApiKeyConfig[]; lmsJwtSecret: string; failureLimitPerMinute: number };
  bazaar: { baseUrl: string; clientId: string; secretKey: string; timeoutMs: number };
  scormCloud: {
    api: 'v1' | 'v2';
    baseUrl: string;
    appId: string;
    secretKey: string;
    timeoutMs: number;
    privateKeyPath: string;
    publicKeyPath: string;
    /** How often unfinished course imports are polled until they finish; 0 turns it off. */
    importWatchIntervalMs: number;
    /** Required by v2's learner data deletion; unset refuses it. */
    realmUserEmail?: string;
  };
  /** Pruning of old data by a background job under a job lease; a `days` of 0 keeps that data forever. */
  retention: {
    intervalMs: number;
    batchSize: number;
    postbackBodyDays: number;
    postbackDays: number;
    deliveryDays: number;
  };
  webhook: {
    username: string;
    password: string;
    /** How often the reconciliation job runs; 0 turns it off. */
    reconcileIntervalMs: number;
    /** A launched registration with no postback for this long is re-fetched from the API. */
    postbackOverdueMs: number;
  };
  tunnel: { provider: 'none' | 'ngrok'; authtoken?: string };
  sandbox: { port: number };
  log: { level: EnvironmentVariables['LOG_LEVEL']; file?: string };
  /** Prometheus metrics on their own listener; `port` unset: not served (still recorded). */
  metrics: { port?: number; host: string; token?: string };
  /** The live event stream (libs/events/src/stream). */
  eventStream: {
    heartbeatMs: number;
    safetyPollMs: number;
    retryMs: number;
    maxPerCaller: number;
    ticketTtlSeconds: number;
  };
  /** OpenTelemetry traces over OTLP/HTTP; `endpoint` unset: off. */
  tracing: {
    endpoint?: string;
    protocol: EnvironmentVariables['OTEL_EXPORTER_OTLP_PROTOCOL'];
    headers: Record<string, string>;
    serviceName: string;
  };
  /** Signed event delivery to the LMS back end (libs/events). */
  eventDelivery: {
    /** EVENT_SUBSCRIPTIONS(_FILE): upserted by name at start-up, read-only through the API. */
    declaredSubscriptions: DeclaredSubscription[];
    /** Where the key that encrypts subscription secrets at rest comes from (never the database). */
    secretsKey: string;
    timeoutMs: number;
    /** Delays before each retry (ms); unset: the Standard Webhooks schedule (libs/events retry.policy.ts). */
    retryDelaysMs?: number[];
    concurrencyPerEndpoint: number;
    pollMs: number;
    /** False only in benches measuring ingest without the outbox. */
    outbox: boolean;
  };
}

/** One entry of EVENT_SUBSCRIPTIONS; event types are checked against the known list by libs/events. */
export interface DeclaredSubscription {
  name: string;
  url: string;
  secret: string;
  eventTypes: string[];
  description?: string;
}

const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.test(host) || host === '::1';
}

export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.test(url.hostname);
}

/** https anywhere, plain http only on loopback (the sandbox). */
export function isAllowedUpstream(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url));
}

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

function parseOrigin(value: string, variable: string, problems: string[]): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    return url.origin;
  } catch {
    problems.push(`${variable}: "${value}" is not an http(s) origin`);
    return undefined;
  }
}

function parseUpstream(value: string, variable: string, problems: string[]): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${variable} must be an absolute URL`);
    return value;
  }
  if (!isAllowedUpstream(url)) {
    problems.push(`${variable} must use https:// (plain http:// is allowed only for loopback addresses)`);
  }
  return value.replace(/\/+$/, '');
}

function parseApiKeys(value: string, problems: string[]): ApiKeyConfig[] {
  return list(value).flatMap((entry, index) => {
    const at = entry.indexOf(':');
    const name = at > 0 ? entry.slice(0, at) : `key-${index + 1}`;
    const key = at > 0 ? entry.slice(at + 1) : entry;
    if (key.length < 16) {
      problems.push(`API_KEYS: key "${name}" must be at least 16 characters`);
      return [];
    }
    // What `Authorization: Bearer` can carry (RFC 6750 b64token); the auth guard refuses anything else.
    if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(key)) {
      problems.push(`API_KEYS: key "${name}" may contain only letters, digits and - . _ ~ + / (then = padding)`);
      return [];
    }
    return [{ name, key }];
  });
}

/** OTEL_EXPORTER_OTLP_HEADERS as the OTLP exporter spec writes it: `key=value,…`, values URL-encoded. */
function parseHeaders(value: string, problems: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const entry of list(value)) {
    const eq = entry.indexOf('=');
    try {
      headers[entry.slice(0, eq).trim()] = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      problems.push(`OTEL_EXPORTER_OTLP_HEADERS: the value of "${entry.slice(0, eq).trim()}" is not URL-encoded`);
    }
  }
  return headers;
}

export function parseDatabaseUrl(value: string): DatabaseConfig {
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length);
    return { type: 'sqlite', path: path === ':memory:' || isAbsolute(path) ? path : resolve(path) };
  }
  return { type: 'postgres', url: value };
}

/** Validates the environment once and turns it into typed per-module namespaces. */
export function loadAppConfig(raw: Record<string, string | undefined>): AppConfig {
  const env = validateEnvironment(raw);
  const problems: string[] = [];

  const publicBaseUrl = (env.PUBLIC_BASE_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '');
  const corsOrigins = list(env.CORS_ORIGINS).flatMap((o) => parseOrigin(o, 'CORS_ORIGINS', problems) ?? []);
  const allowedReturnOrigins = list(env.ALLOWED_RETURN_ORIGINS).flatMap(
    (o) => parseOrigin(o, 'ALLOWED_RETURN_ORIGINS', problems) ?? [],
  );
  const defaultScormUrl =
    env.SCORM_CLOUD_API === 'v2'
      ? `http://127.0.0.1:${env.SANDBOX_PORT}/scorm/api/v2`
      : `http://127.0.0.1:${env.SANDBOX_PORT}/scorm/api`;
  const config: AppConfig = {
    env: env.NODE_ENV,
    http: {
      port: env.PORT,
      host: env.HOST,
      publicBaseUrl,
      corsOrigins,
      allowedReturnOrigins,
      trustProxy: parseTrustProxy(env.TRUST_PROXY, problems),
    },
    database: parseDatabaseUrl(env.DATABASE_URL),
    instances: { jobLeaseMs: env.JOB_LEASE_MS, redisUrl: env.REDIS_URL, webConcurrency: env.WEB_CONCURRENCY },
    auth: {
      apiKeys: parseApiKeys(env.API_KEYS, problems),
      failureLimitPerMinute: env.AUTH_FAILURE_LIMIT,
      lmsJwtSecret: env.LMS_JWT_SECRET,
    },
    bazaar: {
      baseUrl: parseUpstream(env.BAZAAR_BASE_URL, 'BAZAAR_BASE_URL', problems),
      clientId: env.BAZAAR_CLIENT_ID,
      secretKey: env.BAZAAR_SECRET_KEY,
      timeoutMs: env.BAZAAR_TIMEOUT_MS,
    },
    scormCloud: {
      api: env.SCORM_CLOUD_API,
      baseUrl: parseUpstream(env.SCORM_CLOUD_BASE_URL ?? defaultScormUrl, 'SCORM_CLOUD_BASE_URL', problems),
      appId: env.SCORM_APP_ID,
      secretKey: env.SCORM_SECRET_KEY,
      timeoutMs: env.SCORM_TIMEOUT_MS,
      privateKeyPath: resolve(env.SCORM_PRIVATE_KEY_PATH),
      publicKeyPath: resolve(env.SCORM_PUBLIC_KEY_PATH),
      importWatchIntervalMs: env.SCORM_IMPORT_WATCH_INTERVAL_MS,
      realmUserEmail: env.SCORM_CLOUD_REALM_USER_EMAIL,
    },
    retention: {
      batchSize: env.RETENTION_BATCH_SIZE,
      deliveryDays: env.RETENTION_DELIVERY_DAYS,
      intervalMs: env.RETENTION_INTERVAL_MS,
      postbackBodyDays: env.RETENTION_POSTBACK_BODY_DAYS,
      postbackDays: env.RETENTION_POSTBACK_DAYS,
    },
    webhook: {
      username: env.WEBHOOK_USERNAME,
      password: env.WEBHOOK_PASSWORD,
      reconcileIntervalMs: env.WEBHOOK_RECONCILE_INTERVAL_MS,
      postbackOverdueMs: env.WEBHOOK_POSTBACK_OVERDUE_MS,
    },
    tunnel: { provider: env.TUNNEL, authtoken: env.NGROK_AUTHTOKEN },
    sandbox: { port: env.SANDBOX_PORT },
    log: { file: env.LOG_FILE ? resolve(env.LOG_FILE) : undefined, level: env.LOG_LEVEL },
    metrics: { host: env.METRICS_HOST, port: env.METRICS_PORT, token: env.METRICS_TOKEN },
    eventStream: {
      heartbeatMs: env.EVENT_STREAM_HEARTBEAT_MS,
      maxPerCaller: env.EVENT_STREAM_MAX_PER_CALLER,
      retryMs: env.EVENT_STREAM_RETRY_MS,
      safetyPollMs: env.EVENT_STREAM_SAFETY_POLL_MS,
      ticketTtlSeconds: env.EVENT_STREAM_TICKET_TTL_S,
    },
    tracing: {
      endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, ''),
      headers: parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS ?? '', problems),
      protocol: env.OTEL_EXPORTER_OTLP_PROTOCOL,
      serviceName: env.OTEL_SERVICE_NAME,
    },
    eventDelivery: {
      concurrencyPerEndpoint: env.EVENT_DELIVERY_CONCURRENCY,
      declaredSubscriptions: parseDeclaredSubscriptions(env, problems),
      outbox: env.EVENT_OUTBOX === 'on',
      pollMs: env.EVENT_DELIVERY_POLL_MS,
      retryDelaysMs: env.EVENT_DELIVERY_RETRY_SCHEDULE?.split(',').map(parseDelay),
      secretsKey: env.EVENT_SECRETS_KEY ?? `event-secrets:${env.LMS_JWT_SECRET}`,
      timeoutMs: env.EVENT_DELIVERY_TIMEOUT_MS,
    },
  };
  if (config.metrics.port !== undefined && config.metrics.port === config.http.port) {
    problems.push(`METRICS_PORT must differ from PORT (${config.http.port}): metrics stay off the public API`);
  }
  if (config.tunnel.provider === 'ngrok' && !config.tunnel.authtoken) {
    problems.push('NGROK_AUTHTOKEN is required when TUNNEL=ngrok');
  }
  if (config.instances.webConcurrency > 1 && config.database.type === 'sqlite') {
    problems.push(
      `WEB_CONCURRENCY=${config.instances.webConcurrency} needs PostgreSQL: a SQLite file serves one gateway process ` +
        '(set DATABASE_URL=postgres://user:password@host:5432/database, or WEB_CONCURRENCY=1)',
    );
  }
  if (config.instances.webConcurrency > 1 && config.tunnel.provider !== 'none') {
    problems.push('TUNNEL=ngrok needs WEB_CONCURRENCY=1 (each worker would open its own tunnel and public URL)');
  }
  if (config.env === 'production') problems.push(...productionProblems(raw, config));
  if (problems.length) throw new ConfigValidationError(problems);
  return config;
}

/** Production refuses to run open, with demo secrets, or with plain-http upstreams. */
function productionProblems(raw: Record<string, string | undefined>, config: AppConfig): string[] {
  const problems: string[] = [];
  const demo = Object.entries(DEMO_DEFAULTS).filter(([key, value]) => (raw[key] || value) === value);
  for (const [key] of demo)
    problems.push(`${key} must be set to a real value in production (the demo default is refused)`);
  for (const { key, name } of config.auth.apiKeys) {
    if (Object.values(DEMO_DEFAULTS).some((demoValue) => demoValue.includes(key))) {
      problems.push(`API_KEYS: key "${name}" is a demo key, refused in production`);
    }
  }
  if (!config.auth.apiKeys.length) problems.push('API_KEYS must list at least one key in production');
  if (config.metrics.port !== undefined && !config.metrics.token && !isLoopbackHost(config.metrics.host)) {
    problems.push('METRICS_TOKEN must be set in production when METRICS_HOST is not a loopback address');
  }
  if (!config.eventDelivery.outbox) problems.push('EVENT_OUTBOX=off is for benches only, refused in production');
  if (config.webhook.password.length < 16)
    problems.push('WEBHOOK_PASSWORD must be at least 16 characters in production');
  for (const [variable, value] of [
    ['BAZAAR_BASE_URL', config.bazaar.baseUrl],
    ['SCORM_CLOUD_BASE_URL', config.scormCloud.baseUrl],
  ] as const) {
    if (!value.startsWith('https://')) problems.push(`${variable} must use https:// in production`);
  }
  if (!raw.PUBLIC_BASE_URL && config.tunnel.provider === 'none') {
    problems.push('PUBLIC_BASE_URL must be set in production (SCORM Cloud and Bazaar call back to it)');
  }
  // The default lists only the bundled sandbox: production users would be sent back to a loopback page.
  if (config.http.allowedReturnOrigins.every((origin) => isLoopbackUrl(new URL(origin)))) {
    problems.push("ALLOWED_RETURN_ORIGINS must list the LMS's own origins in production (only loopback ones are set)");
  }
  return problems;
}

const SUBSCRIPTION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * EVENT_SUBSCRIPTIONS (or the file EVENT_SUBSCRIPTIONS_FILE names): `[{"name","url","secret","event_types"}]`. The
 * URL rules that depend on DNS are checked by libs/events at start-up and at each delivery.
 */
function parseDeclaredSubscriptions(env: EnvironmentVariables, problems: string[]): DeclaredSubscription[] {
  let text = env.EVENT_SUBSCRIPTIONS;
  let variable = 'EVENT_SUBSCRIPTIONS';
  if (text === undefined && env.EVENT_SUBSCRIPTIONS_FILE) {
    variable = 'EVENT_SUBSCRIPTIONS_FILE';
    try {
      text = readFileSync(resolve(env.EVENT_SUBSCRIPTIONS_FILE), 'utf8');
    } catch (error) {
      problems.push(
        `EVENT_SUBSCRIPTIONS_FILE: cannot read ${env.EVENT_SUBSCRIPTIONS_FILE} (${(error as Error).message})`,
      );
      return [];
    }
  }
  if (text === undefined || !text.trim()) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    problems.push(`${variable} must be a JSON array of {"name","url","secret","event_types"} (not valid JSON)`);
    return [];
  }
  if (!Array.isArray(parsed)) {
    problems.push(`${variable} must be a JSON array of {"name","url","secret","event_types"}`);
    return [];
  }
  const names = new Set<string>();
  return parsed.flatMap((entry: unknown, index): DeclaredSubscription[] => {
    const at = `${variable}[${index}]`;
    const item = (entry ?? {}) as Record<string, unknown>;
    const bad = (message: string) => (problems.push(`${at}: ${message}`), []);
    if (typeof entry !== 'object' || Array.isArray(entry)) return bad('must be an object');
    const unknown = Object.keys(item).filter(
      (key) => !['description', 'event_types', 'name', 'secret', 'url'].includes(key),
    );
    if (unknown.length) return bad(`unknown field ${unknown.join(', ')}`);
    const { description, event_types: types = ['*'], name, secret, url } = item;
    if (typeof name !== 'string' || !SUBSCRIPTION_NAME.test(name)) {
      return bad('name must be 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit');
    }
    if (names.has(name)) return bad(`name "${name}" is declared twice`);
    names.add(name);
    if (typeof url !== 'string' || !/^https?:\/\/\S+$/.test(url)) return bad('url must be an http(s) URL');
    if (typeof secret !== 'string' || !isWebhookSecret(secret)) {
      return bad('secret must be whsec_ followed by the base64 of 24 to 64 random bytes');
    }
    if (!Array.isArray(types) || !types.length || types.some((type) => typeof type !== 'string')) {
      return bad('event_types must be a non-empty array of event types, or ["*"]');
    }
    if (description !== undefined && (typeof description !== 'string' || description.length > 500)) {
      return bad('description must be a string of at most 500 characters');
    }
    return [{ description, eventTypes: types as string[], name, secret, url }];
  });
}

const DELAY_UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, ms: 1, s: 1000 };
const parseDelay = (value: string): number => {
  const [, amount, unit = 'ms'] = /^(\d+)(ms|s|m|h)?$/.exec(value.trim())!;
  return Number(amount) * DELAY_UNITS[unit];
};

/** A Standard Webhooks secret: `whsec_` and the base64 of 24-64 bytes. */
export function isWebhookSecret(secret: string): boolean {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret);
  if (!match) return false;
  const bytes = Buffer.from(match[1], 'base64').length;
  return bytes >= 24 && bytes <= 64;
}

const PROXY_RANGES = new Set(['linklocal', 'loopback', 'uniquelocal']);

/**
 * TRUST_PROXY: `off` (X-Forwarded-For is ignored), a hop count, or a comma list of proxy addresses, CIDR ranges
 * and Express's names loopback, linklocal, uniquelocal. Never `true`: trusting every hop lets any client name
 * any address.
 */
function parseTrustProxy(value: string, problems: string[]): false | number | string[] {
  if (['', 'off', 'false', 'none'].includes(value.toLowerCase())) return false;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const entries = list(value);
  const bad = entries.filter((entry) => {
    if (PROXY_RANGES.has(entry)) return false;
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address);
    if (!family || extra !== undefined) return true;
    return prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
  });
  if (bad.length || !entries.length) {
    problems.push(
      `TRUST_PROXY must be off, a hop count, or a comma list of loopback, linklocal, uniquelocal, IP addresses ` +
        `and CIDR ranges (${bad.join(', ') || 'empty'} is not)`,
    );
  }
  return entries;
}
