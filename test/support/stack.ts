import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';

import { createGatewayApp } from '../../apps/api/src/configure-app';
import { createSandboxApp } from '../../apps/sandbox/src/create-sandbox-app';
import { SandboxConfig, loadSandboxConfig } from '../../apps/sandbox/src/sandbox.config';
import { freePort } from './free-port';
import { createLogCapture } from './log-capture';
import { TestDatabase, createTestDatabase } from './test-database';
import { TEST_API_KEY, TEST_JWT_SECRET } from './tokens';

export const TEST_SECRETS = {
  bazaarClientId: 'test-lms',
  bazaarSecret: 'test-bazaar-secret-0123456789abcdef',
  scormAppId: 'TESTAPP',
  scormSecret: 'test-scorm-secret-0123456789',
  webhookPassword: 'test-webhook-password-0123',
  webhookUsername: 'scorm-test',
} as const;

export interface RunningSandbox {
  app: NestExpressApplication;
  url: string;
  port: number;
  config: SandboxConfig;
  close(): Promise<void>;
}

export interface RunningGateway {
  app: NestExpressApplication;
  url: string;
  port: number;
  database: TestDatabase;
  env: Record<string, string>;
  /** The debug log file, scanned for secrets on close (unset when E2E_LOG_LEVEL sends logs to stdout). */
  logFile?: string;
  close(): Promise<void>;
}

export async function startSandbox(env: Record<string, string> = {}, port?: number): Promise<RunningSandbox> {
  const sandboxPort = port ?? (await freePort());
  const config = loadSandboxConfig({
    SANDBOX_BAZAAR_CLIENTS: `${TEST_SECRETS.bazaarClientId}:${TEST_SECRETS.bazaarSecret}`,
    SANDBOX_DEMO_JWT_SECRET: TEST_JWT_SECRET,
    SANDBOX_PORT: String(sandboxPort),
    SANDBOX_PUBLIC_URL: `http://127.0.0.1:${sandboxPort}`,
    SANDBOX_SCORM_APPS: `${TEST_SECRETS.scormAppId}:${TEST_SECRETS.scormSecret}`,
    // Tests keep the sandbox's state in memory unless they pass a file of their own.
    SANDBOX_STATE_FILE: '',
    ...env,
  });
  const app = await createSandboxApp(config, { logger: false });
  await app.listen(sandboxPort, '127.0.0.1');
  return { app, close: () => app.close(), config, port: sandboxPort, url: `http://127.0.0.1:${sandboxPort}` };
}

/** The gateway env a test stack runs with: loopback upstreams, test secrets, a fresh database. */
export function gatewayEnv(port: number, sandboxPort: number, databaseUrl: string): Record<string, string> {
  return {
    ALLOWED_RETURN_ORIGINS: `http://127.0.0.1:${sandboxPort},http://localhost:${sandboxPort},https://lms.example.edu`,
    API_KEYS: `test:${TEST_API_KEY}`,
    BAZAAR_BASE_URL: `http://127.0.0.1:${sandboxPort}/bazaar/api/v1`,
    BAZAAR_CLIENT_ID: TEST_SECRETS.bazaarClientId,
    BAZAAR_SECRET_KEY: TEST_SECRETS.bazaarSecret,
    BAZAAR_TIMEOUT_MS: '2000',
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    LMS_JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'silent',
    NODE_ENV: 'test',
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    SANDBOX_PORT: String(sandboxPort),
    SCORM_APP_ID: TEST_SECRETS.scormAppId,
    SCORM_CLOUD_API: 'v2',
    SCORM_PRIVATE_KEY_PATH: `${process.cwd()}/test/fixtures/keys/scorm_private_key.pem`,
    SCORM_PUBLIC_KEY_PATH: `${process.cwd()}/test/fixtures/keys/scorm_public_key.pem`,
    SCORM_SECRET_KEY: TEST_SECRETS.scormSecret,
    SCORM_TIMEOUT_MS: '3000',
    WEBHOOK_PASSWORD: TEST_SECRETS.webhookPassword,
    WEBHOOK_USERNAME: TEST_SECRETS.webhookUsername,
  };
}

/**
 * Boots the real gateway (same `createGatewayApp` as production) on a free loopback port with a fresh
 * database. `overrides` replace single variables; the database is dropped on close.
 */
export async function startGateway(
  options: { sandboxPort?: number; overrides?: Record<string, string>; database?: TestDatabase; port?: number } = {},
): Promise<RunningGateway> {
  const port = options.port ?? (await freePort());
  const database = options.database ?? (await createTestDatabase());
  const logs = createLogCapture();
  const env = { ...gatewayEnv(port, options.sandboxPort ?? 9, database.url), ...logs?.env, ...options.overrides };
  let app: NestExpressApplication;
  try {
    app = await createGatewayApp({ env });
    await app.listen(port, '127.0.0.1');
  } catch (error) {
    if (!options.database) await database.drop();
    throw error;
  }
  return {
    app,
    close: async () => {
      await app.close();
      if (!options.database) await database.drop();
      logs?.check(env);
    },
    database,
    env,
    logFile: logs?.file,
    port,
    url: `http://127.0.0.1:${port}`,
  };
}

export interface RunningStack {
  gateway: RunningGateway;
  sandbox: RunningSandbox;
  close(): Promise<void>;
}

/** Sandbox and gateway wired to each other over loopback HTTP. */
export async function startStack(
  options: { gatewayOverrides?: Record<string, string>; sandboxEnv?: Record<string, string> } = {},
): Promise<RunningStack> {
  const gatewayPort = await freePort();
  const sandbox = await startSandbox({ SANDBOX_GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`, ...options.sandboxEnv });
  let gateway: RunningGateway;
  try {
    gateway = await startGateway({ overrides: options.gatewayOverrides, port: gatewayPort, sandboxPort: sandbox.port });
  } catch (error) {
    await sandbox.close();
    throw error;
  }
  return {
    close: async () => {
      await gateway.close();
      await sandbox.close();
    },
    gateway,
    sandbox,
  };
}

export type { INestApplication };
