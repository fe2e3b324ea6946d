#!/usr/bin/env node
/**
 * `npm run test:fuzz`: boots the sandbox and the gateway once and fuzzes every operation in /docs-json.
 *   FUZZ_COUNT=3000   requests (default 3000)
 *   FUZZ_SECONDS=60   stop after this many seconds instead (0 = off)
 *   FUZZ_SEED=n       reproduce a run; the seed is printed in the header
 *   TEST_DATABASE=postgres  run against a scratch PostgreSQL database
 * Extra arguments go to jest.
 */
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');
const result = spawnSync(
  process.execPath,
  [
    require.resolve('jest/bin/jest'),
    '--config',
    join(__dirname, 'jest.fuzz.config.js'),
    '--runInBand',
    ...process.argv.slice(2),
  ],
  { cwd: root, env: process.env, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
