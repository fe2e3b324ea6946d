import { loadAppConfig } from './app-config';
import { ConfigValidationError } from './environment.schema';

const fail = (env: Record<string, string>) => {
  try {
    loadAppConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigValidationError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
};

describe('loadAppConfig', () => {
  it('runs a fresh checkout with embedded defaults pointing at the sandbox', () => {
    const config = loadAppConfig({});
    expect(config.http.port).toBe(3000);
    expect(config.database).toEqual({ path: expect.stringMatching(/data\/gateway\.sqlite$/), type: 'sqlite' });
    expect(config.bazaar.baseUrl).toBe('http://127.0.0.1:3100/bazaar/api/v1');
    expect(config.scormCloud).toMatchObject({ api: 'v2', baseUrl: 'http://127.0.0.1:3100/scorm/api/v2' });
    expect(config.http.corsOrigins).toEqual(['https://cloud.scorm.com']);
    expect(config.http.publicBaseUrl).toBe('http://localhost:3000');
  });

  it('switches the default SCORM Cloud URL with the transport', () => {
    expect(loadAppConfig({ SCORM_CLOUD_API: 'v1' }).scormCloud.baseUrl).toBe('http://127.0.0.1:3100/scorm/api');
  });

  it('parses PostgreSQL URLs and named API keys', () => {
    const config = loadAppConfig({
      API_KEYS: 'lms:aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbb',
      DATABASE_URL: 'postgres://u:p@db:5432/gw',
    });
    expect(config.database).toEqual({ type: 'postgres', url: 'postgres://u:p@db:5432/gw' });
    expect(config.auth.apiKeys).toEqual([
      { key: 'aaaaaaaaaaaaaaaaaaaa', name: 'lms' },
      { key: 'bbbbbbbbbbbbbbbbbbbb', name: 'key-2' },
    ]);
  });

  it('names the variable and the rule for each bad value', () => {
    expect(fail({ DATABASE_URL: 'mysql://x' })).toMatch(/DATABASE_URL must be sqlite:<file path>.*postgres:\/\//);
    expect(fail({ PORT: 'eighty' })).toMatch(/PORT/);
    expect(fail({ SCORM_CLOUD_API: 'v3' })).toMatch(/SCORM_CLOUD_API/);
    expect(fail({ LMS_JWT_SECRET: 'short' })).toMatch(/LMS_JWT_SECRET must be at least 32 characters/);
    expect(fail({ API_KEYS: 'lms:short' })).toMatch(/API_KEYS: key "lms" must be at least 16 characters/);
    // A key a Bearer header cannot carry would be refused on every request as a malformed header.
    expect(fail({ API_KEYS: 'lms:secret key with spaces!' })).toMatch(/API_KEYS: key "lms" may contain only/);
    expect(loadAppConfig({ API_KEYS: 'lms:Ab0-._~+/Ab0-._~+/==' }).auth.apiKeys).toHaveLength(1);
    // HTTP Basic splits user:password at the first colon, so such a user name could never match.
    expect(fail({ WEBHOOK_USERNAME: 'scorm:cloud' })).toMatch(/WEBHOOK_USERNAME must not contain ":"/);
    expect(fail({ TUNNEL: 'ngrok' })).toMatch(/NGROK_AUTHTOKEN is required/);
    expect(fail({ ALLOWED_RETURN_ORIGINS: 'ftp://x' })).toMatch(/ALLOWED_RETURN_ORIGINS/);
  });

  it('reads TRUST_PROXY as off, a hop count or a list of proxies, loopback by default, never "true"', () => {
    expect(loadAppConfig({}).http.trustProxy).toEqual(['loopback']);
    expect(loadAppConfig({ TRUST_PROXY: 'off' }).http.trustProxy).toBe(false);
    expect(loadAppConfig({ TRUST_PROXY: '1' }).http.trustProxy).toBe(1);
    expect(loadAppConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8' }).http.trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
    ]);
    expect(fail({ TRUST_PROXY: 'true' })).toMatch(/TRUST_PROXY must be off, a hop count.*\(true is not\)/);
    expect(fail({ TRUST_PROXY: '10.0.0.0/33' })).toMatch(/TRUST_PROXY.*10\.0\.0\.0\/33/);
  });

  it('refuses plain http upstreams unless they are loopback', () => {
    expect(fail({ BAZAAR_BASE_URL: 'http://bazaar.example/api/v1' })).toMatch(/BAZAAR_BASE_URL must use https/);
    expect(fail({ SCORM_CLOUD_BASE_URL: 'http://10.0.0.5/api/v2' })).toMatch(/SCORM_CLOUD_BASE_URL must use https/);
    expect(loadAppConfig({ BAZAAR_BASE_URL: 'http://localhost:9/x' }).bazaar.baseUrl).toBe('http://localhost:9/x');
  });

  it('keeps metrics unserved and tracing off by default, and checks their variables', () => {
    expect(loadAppConfig({}).metrics).toEqual({ host: '127.0.0.1', port: undefined, token: undefined });
    expect(loadAppConfig({}).tracing).toEqual({
      endpoint: undefined,
      headers: {},
      protocol: 'http/protobuf',
      serviceName: 'lms-gateway',
    });
    expect(loadAppConfig({ METRICS_HOST: '0.0.0.0', METRICS_PORT: '9464' }).metrics).toMatchObject({
      host: '0.0.0.0',
      port: 9464,
    });
    const tracing = loadAppConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D1, x-team = gw',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    }).tracing;
    expect(tracing).toMatchObject({
      endpoint: 'https://otel.example:4318',
      headers: { 'x-api-key': 'abc=1', 'x-team': 'gw' },
      protocol: 'http/json',
    });
    expect(fail({ METRICS_PORT: 'ninety' }).match(/METRICS_PORT must be a port number/g)).toHaveLength(1);
    expect(fail({ METRICS_PORT: '70000' })).toMatch(/METRICS_PORT must be a port number/);
    expect(fail({ METRICS_PORT: '3000' })).toMatch(/METRICS_PORT must differ from PORT/);
    expect(fail({ METRICS_HOST: 'http://x/' })).toMatch(/METRICS_HOST must be an IP address or host name/);
    expect(fail({ METRICS_TOKEN: 'short' })).toMatch(/METRICS_TOKEN must be at least 16 characters/);
    expect(fail({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT must be/);
    expect(fail({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL must be http\/protobuf/);
    expect(fail({ OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })).toMatch(/OTEL_EXPORTER_OTLP_HEADERS must be/);
    expect(fail({ OTEL_EXPORTER_OTLP_HEADERS: 'k=%E0%A4%A' })).toMatch(/OTEL_EXPORTER_OTLP_HEADERS: the value of "k"/);
    expect(fail({ OTEL_SERVICE_NAME: 'lms gateway' })).toMatch(/OTEL_SERVICE_NAME/);
  });

  it('refuses production with demo secrets, no keys, or plain-http upstreams', () => {
    const message = fail({ NODE_ENV: 'production' });
    for (const variable of [
      'API_KEYS',
      'LMS_JWT_SECRET',
      'WEBHOOK_PASSWORD',
      'BAZAAR_SECRET_KEY',
      'SCORM_SECRET_KEY',
    ]) {
      expect(message).toContain(variable);
    }
    expect(message).toMatch(/BAZAAR_BASE_URL must use https:\/\/ in production/);
    expect(message).toMatch(/PUBLIC_BASE_URL must be set in production/);
    expect(message).toMatch(/ALLOWED_RETURN_ORIGINS must list the LMS's own origins in production/);
    expect(fail({ METRICS_HOST: '0.0.0.0', METRICS_PORT: '9464', NODE_ENV: 'production' })).toMatch(
      /METRICS_TOKEN must be set in production when METRICS_HOST is not a loopback address/,
    );
    expect(fail({ METRICS_PORT: '9464', NODE_ENV: 'production' })).not.toMatch(/METRICS_TOKEN/);
  });

  it('accepts a complete production configuration', () => {
    const config = loadAppConfig({
      ALLOWED_RETURN_ORIGINS: 'https://lms.school.example',
      API_KEYS: 'lms:prod-key-0123456789abcdef',
      BAZAAR_BASE_URL: 'https://bazaar.example/api/v1',
      BAZAAR_CLIENT_ID: 'school-lms',
      BAZAAR_SECRET_KEY: 'prod-bazaar-secret-0123456789',
      DATABASE_URL: 'postgres://gw@db/gw',
      LMS_JWT_SECRET: 'prod-jwt-secret-0123456789-0123456789',
      NODE_ENV: 'production',
      PUBLIC_BASE_URL: 'https://gateway.school.example',
      SCORM_APP_ID: 'PRODAPP',
      SCORM_CLOUD_BASE_URL: 'https://cloud.scorm.com/api/v2',
      SCORM_SECRET_KEY: 'prod-scorm-secret-0123456789',
      WEBHOOK_PASSWORD: 'prod-webhook-password-0123456789',
      WEBHOOK_USERNAME: 'scorm-cloud-prod',
    });
    expect(config.env).toBe('production');
  });
});
