import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';

import { scormPackage } from './fixtures/scorm/scorm-package';
import { RunningStack, startStack } from './support/stack';
import { TEST_API_KEY, bearer } from './support/tokens';

const run = promisify(execFile);

describe('npm run scorm:import', () => {
  let stack: RunningStack;
  let dir: string;

  beforeAll(async () => {
    stack = await startStack();
    dir = mkdtempSync(join(tmpdir(), 'scorm-cli-'));
  });
  afterAll(async () => {
    rmSync(dir, { force: true, recursive: true });
    await stack?.close();
  });

  const cli = (...args: string[]) =>
    run(process.execPath, ['scripts/scorm-import.js', ...args], {
      cwd: process.cwd(),
      env: { ...process.env, API_KEY: TEST_API_KEY, GATEWAY_URL: stack.gateway.url },
    });

  it('streams a zip through the gateway and reports the imported course', async () => {
    const file = join(dir, 'cli course.zip');
    writeFileSync(file, scormPackage('CLI Course'));
    const { stdout } = await cli(file, '--course-id', 'cli-course');
    expect(stdout).toContain('Imported course cli-course "CLI Course"');
    const list = await request(stack.gateway.url).get('/api/v1/scorm/courses').set(bearer(TEST_API_KEY)).expect(200);
    expect(list.body.courses.map((c: { id: string }) => c.id)).toContain('cli-course');
  });

  it('suggests --new-version when the course id already exists, and imports a new version with it', async () => {
    const file = join(dir, "it's v2.zip");
    writeFileSync(file, scormPackage('CLI Course v2'));
    const refused = await cli(file, '--course-id', 'cli-course').catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(refused).toMatchObject({ code: 1 });
    const { stderr } = refused as { stderr: string };
    expect(stderr).toContain('SCORM_CLOUD_CONFLICT');
    expect(stderr).toContain('Course cli-course already exists on SCORM Cloud');
    expect(stderr).toContain(
      `npm run scorm:import -- '${file.replace("'", "'\\''")}' --course-id cli-course --new-version`,
    );

    const { stdout } = await cli(file, '--course-id', 'cli-course', '--new-version');
    expect(stdout).toContain('Imported course cli-course "CLI Course v2"');
  });

  it('exits non-zero with the gateway error for a file that is not a zip', async () => {
    const file = join(dir, 'notes.zip');
    writeFileSync(file, 'plain text');
    await expect(cli(file)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('NOT_A_ZIP') });
  });
});
