#!/usr/bin/env node
/**
 * `npm run scorm:import -- course.zip [--course-id ID] [--new-version]`: uploads a SCORM zip through the running
 * gateway (POST /api/v1/scorm/courses, streamed from disk, never read whole) with a progress bar, then follows
 * SCORM Cloud's import job until it finishes. Going through the gateway keeps SCORM Cloud credentials in one
 * place and works the same on the v2 and v1 transports.
 *
 * GATEWAY_URL (default http://localhost:$PORT or :3000) and API_KEY (default: the first key in API_KEYS, from the
 * environment or .env) say where and as whom.
 */
const { SingleBar, Presets } = require('cli-progress');
const MultipartForm = require('form-data');
const { createReadStream, existsSync, readFileSync, statSync } = require('node:fs');
const { basename, join } = require('node:path');
const { PassThrough } = require('node:stream');

const root = join(__dirname, '..');
const DEMO_API_KEY = 'demo-api-key-0123456789abcdef';
const POLL_INTERVAL_MS = 1000;
const POLL_LIMIT_MS = 15 * 60_000;

function usage(message) {
  if (message) console.error(message);
  console.error('Usage: npm run scorm:import -- <course.zip> [--course-id ID] [--new-version] [--gateway URL]');
  process.exit(2);
}

function parseArgs(argv) {
  const options = { newVersion: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--course-id') options.courseId = argv[++i] ?? usage('--course-id needs a value');
    else if (arg === '--gateway') options.gateway = argv[++i] ?? usage('--gateway needs a value');
    else if (arg === '--new-version') options.newVersion = true;
    else if (arg === '--help' || arg === '-h') usage();
    else if (arg.startsWith('-')) usage(`Unknown option ${arg}`);
    else if (!options.file) options.file = arg;
    else usage(`Unexpected argument ${arg}`);
  }
  if (!options.file) usage('Name the course zip to import.');
  return options;
}

function settings(options) {
  const fileEnv = existsSync(join(root, '.env')) ? require('dotenv').parse(readFileSync(join(root, '.env'))) : {};
  const env = { ...fileEnv, ...process.env };
  const firstKey = (env.API_KEYS || '').split(',')[0]?.trim();
  const apiKey = env.API_KEY || (firstKey ? firstKey.slice(firstKey.indexOf(':') + 1) : '') || DEMO_API_KEY;
  const gateway = (options.gateway || env.GATEWAY_URL || `http://localhost:${env.PORT || 3000}`).replace(/\/+$/, '');
  return { apiKey, gateway };
}

/**
 * The LMS's typed client (clients/typescript, generated from the gateway's OpenAPI document), from its TypeScript
 * sources (swc, as the tests run them), so it is never older than the checkout; without the dev dependencies, as
 * `npm run build:client` compiled it.
 */
function loadClient() {
  try {
    require(join(root, 'test/support/swc-register.js'));
    return require(join(root, 'clients/typescript/src/index.ts'));
  } catch (error) {
    const built = join(root, 'clients/typescript/dist/index.js');
    if (existsSync(built)) return require(built);
    throw error;
  }
}

/** `{ status, body }` of a client call, the body being the answer or the gateway's error body. */
async function answer(call) {
  const { data, error, response } = await call;
  return { body: (response.ok ? data : error) ?? {}, status: response.status };
}

/** Streams the multipart form as the request body (never read whole), with its length so the gateway can refuse early. */
function multipart(form) {
  const body = new PassThrough();
  form.pipe(body);
  return {
    body,
    bodySerializer: (stream) => stream,
    duplex: 'half',
    headers: { ...form.getHeaders(), 'Content-Length': String(form.getLengthSync()) },
  };
}

/** An argument as a POSIX shell reads it back unchanged. */
function quoted(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

function failure(response) {
  const { body, status } = response;
  const text = typeof body === 'string' ? body.slice(0, 300) : (body.message ?? JSON.stringify(body));
  return `${status} ${body.code ?? ''} ${text}`.replace(/\s+/g, ' ');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const { apiKey, gateway } = settings(options);
  const client = loadClient().createGatewayClient({
    baseUrl: gateway,
    headers: { Accept: 'application/json' },
    token: apiKey,
  });
  if (!existsSync(options.file) || !statSync(options.file).isFile()) usage(`No such file: ${options.file}`);
  const size = statSync(options.file).size;

  const stream = createReadStream(options.file);
  const form = new MultipartForm();
  form.append('file', stream, { contentType: 'application/zip', filename: basename(options.file), knownLength: size });

  const query = {};
  if (options.courseId) query.course_id = options.courseId;
  if (options.newVersion) query.may_create_new_version = 'true';
  const bar = new SingleBar(
    { format: 'Uploading {bar} {percentage}% | {value}/{total} bytes', hideCursor: true },
    Presets.shades_classic,
  );
  bar.start(size, 0);
  let sent = 0;
  stream.on('data', (chunk) => {
    sent += chunk.length;
    bar.update(sent);
  });

  let response;
  try {
    response = await answer(client.POST('/api/v1/scorm/courses', { params: { query }, ...multipart(form) }));
  } catch (error) {
    bar.stop();
    console.error(`Cannot reach the gateway at ${gateway}: ${error.cause?.message ?? error.message}`);
    process.exit(1);
  }
  bar.update(size);
  bar.stop();
  if (response.status !== 201 && response.status !== 202) {
    console.error(`Import refused: ${failure(response)}`);
    // Without --course-id the gateway picks a fresh id, so a conflict always names the id given.
    if (response.body.code === 'SCORM_CLOUD_CONFLICT' && options.courseId && !options.newVersion) {
      const again = [
        'npm',
        'run',
        'scorm:import',
        '--',
        options.file,
        '--course-id',
        options.courseId,
        '--new-version',
      ];
      console.error(
        `Course ${options.courseId} already exists on SCORM Cloud. To import this zip as its next version, run:\n` +
          `  ${again.map(quoted).join(' ')}`,
      );
    }
    process.exit(1);
  }

  let job = response.body;
  const until = Date.now() + POLL_LIMIT_MS;
  while (job.status === 'RUNNING') {
    process.stdout.write(`SCORM Cloud is importing (job ${job.job_id})…\r`);
    if (Date.now() > until) {
      console.error(`\nThe import job ${job.job_id} is still running; check it later.`);
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    const poll = await answer(
      client.GET('/api/v1/scorm/courses/import-jobs/{job_id}', { params: { path: { job_id: job.job_id } } }),
    );
    if (poll.status !== 200) {
      console.error(`\nCould not read the import job: ${failure(poll)}`);
      process.exit(1);
    }
    job = { ...job, ...poll.body, course_id: poll.body.course_id ?? job.course_id };
  }
  if (job.status !== 'COMPLETE') {
    console.error(`Import failed: ${job.message ?? job.status}`);
    process.exit(1);
  }
  console.log(`Imported course ${job.course_id}${job.title ? ` "${job.title}"` : ''} (job ${job.job_id}).`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
