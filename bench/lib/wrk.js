/**
 * Postback load with wrk (Debian's `wrk`): a C load generator, as the issues measured with, so the generator's own
 * CPU takes little from the 2 cores the servers under test share with it (autocannon, in this Node process, takes
 * most of one core at a few thousand requests per second).
 *
 * Each request is a new postback: request n goes to target n mod targets.length (its path carries that
 * registration's token) with a body made from a JSON template whose `@NAME@` markers wrk's Lua fills in:
 *   @REG@ the target's id   @LEARNER@ learner-<n mod targets>   @UPDATED@ ISO time base + n ms
 *   @COMPLETION@ COMPLETED every 7th, else INCOMPLETE   @SCORE@ n mod 101   @SECONDS@ n mod 5000
 * Threads interleave n (thread i sends i, i + threads, ...), so no two requests share an `updated`.
 */
const { spawn, spawnSync } = require('node:child_process');
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const WRK = process.env.BENCH_WRK ?? 'wrk';

/** True when wrk runs here; as root it is installed from Debian's packages when missing. */
function wrkAvailable() {
  const probe = () => spawnSync(WRK, ['--version'], { stdio: 'ignore' }).error === undefined;
  if (probe()) return true;
  if (process.getuid?.() !== 0) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['install', '-y', '-qq', 'wrk'], { env, stdio: 'ignore' });
  return probe();
}

const lua = (value) => JSON.stringify(value); // a JSON string literal is a valid Lua string literal here (ASCII)

function script({ base, headers, start, targets, template }) {
  return `
local targets = { ${targets.map((t) => `{ ${lua(t.id)}, ${lua(t.path)} }`).join(',\n  ')} }
local template = ${lua(template)}
local headers = { ${Object.entries(headers)
    .map(([k, v]) => `[${lua(k)}] = ${lua(v)}`)
    .join(', ')} }
local base, start = ${base}, ${start}
-- globals, not locals: setup() sets tid in each thread's state, done() reads k back with thread:get
threads, tid, k = 1, 0, 0
local all = {}
setup = function(thread)
  thread:set("tid", #all)
  table.insert(all, thread)
end
init = function(args)
  threads = tonumber(args[1])
end
request = function()
  local n = start + tid + k * threads
  k = k + 1
  local target = targets[(n % #targets) + 1]
  local t = base + n
  local values = {
    REG = target[1],
    LEARNER = "learner-" .. (n % #targets),
    UPDATED = os.date("!%Y-%m-%dT%H:%M:%S", math.floor(t / 1000)) .. string.format(".%03dZ", t % 1000),
    COMPLETION = (n % 7 == 0) and "COMPLETED" or "INCOMPLETE",
    SCORE = tostring(n % 101),
    SECONDS = tostring(n % 5000),
  }
  local body = template:gsub("@(%u+)@", values)
  return wrk.format("POST", target[2], headers, body)
end
done = function(summary, latency, requests)
  local most = 0
  for _, thread in ipairs(all) do most = math.max(most, thread:get("k")) end
  io.write(string.format(
    'WRK_RESULT {"most":%d,"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\\n',
    most, summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
`;
}

/**
 * A v2 JSON postback body as a template (the markers above), `fields` on top: what the benches' own postback()
 * functions send, for wrk to fill in per request.
 */
function postbackTemplate(fields = {}) {
  return JSON.stringify({
    course: { id: 'bench-course', title: 'Bench course', version: 0 },
    id: '@REG@',
    instance: 0,
    lastAccessDate: '@UPDATED@',
    learner: { firstName: 'Bench', id: '@LEARNER@', lastName: 'Learner' },
    registrationCompletion: '@COMPLETION@',
    registrationSuccess: 'UNKNOWN',
    score: { scaled: '@SCORE@' },
    totalSecondsTracked: '@SECONDS@',
    updated: '@UPDATED@',
    ...fields,
  }).replace(/"(@(?:SCORE|SECONDS)@)"/g, '$1');
}

let sequence = 0;

/**
 * Runs wrk for `seconds` against `url` and resolves to { ok, non2xx, errors, p50, p99 (ms), rps (2xx/s) }.
 * Sequence numbers continue across calls in this process, so a warm-up and the run that follows never repeat one.
 */
async function wrkLoad({ base, connections, headers, seconds, targets, template, threads = 2, url }) {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-wrk-'));
  const file = join(dir, 'postbacks.lua');
  const start = sequence;
  writeFileSync(file, script({ base, headers, start, targets, template }));
  try {
    const output = await new Promise((ok, fail) => {
      const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s'];
      const child = spawn(WRK, [...args, '-s', file, url, '--', String(threads)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      child.stdout.on('data', (chunk) => (text += chunk));
      child.on('error', fail);
      child.on('exit', (code) => (code === 0 ? ok(text) : fail(new Error(`wrk exited with ${code}: ${text}`))));
    });
    const line = output.split('\n').find((l) => l.startsWith('WRK_RESULT '));
    if (!line) throw new Error(`wrk printed no result: ${output}`);
    const r = JSON.parse(line.slice('WRK_RESULT '.length));
    // Thread i used i, i + threads, ... up to its k-th request: the next call starts past the busiest thread's last.
    sequence = start + (r.most + 1) * threads;
    const ok = r.requests - r.status;
    return {
      errors: r.connect + r.read + r.write + r.timeout,
      non2xx: r.status,
      ok,
      p50: Math.round(r.p50_us / 10) / 100,
      p99: Math.round(r.p99_us / 10) / 100,
      rps: ok / (r.duration_us / 1e6),
    };
  } finally {
    rmSync(dir, { force: true, recursive: true });
  }
}

module.exports = { postbackTemplate, wrkAvailable, wrkLoad };
