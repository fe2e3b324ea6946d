import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Secret, assertNoSecrets, secretsFromEnv } from './secret-scan';

/**
 * Every test gateway logs at debug level into its own file; on close the file is scanned for the configured
 * secrets and token shapes, and any hit fails the suite. `E2E_LOG_LEVEL=<level>` logs to stdout instead
 * (for debugging a suite by eye) and skips the scan.
 */
export interface LogCapture {
  file: string;
  env: Record<string, string>;
  read(): string;
  /** Scans, then removes the file; throws on a leak. `extra` adds run-specific values (e.g. issued states). */
  check(env: Record<string, string>, extra?: Secret[]): void;
}

export function createLogCapture(): LogCapture | undefined {
  if (process.env.E2E_LOG_LEVEL || process.env.E2E_LOG_SCAN === '0') return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'gw-logs-'));
  const file = join(dir, 'gateway.log');
  const read = () => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  return {
    check: (env, extra = []) => {
      // On a leak the file stays on disk for a look.
      assertNoSecrets(read(), secretsFromEnv(env), `the gateway log (${file})`, extra);
      rmSync(dir, { force: true, recursive: true });
    },
    env: { LOG_FILE: file, LOG_LEVEL: 'debug' },
    file,
    read,
  };
}
