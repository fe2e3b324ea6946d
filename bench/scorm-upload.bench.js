#!/usr/bin/env node
/**
 * `npm run bench -- scorm-upload`: proves the course import streams. Starts the BUILT gateway against a sink
 * that plays SCORM Cloud v2's upload and import-job routes and discards the bytes, uploads a 10 MB and a 150 MB
 * zip-looking body through POST /api/v1/scorm/courses, and reads the gateway's peak RSS (VmHWM) after each:
 * a buffering gateway would grow by the upload's size. Then a chunked 205 MB upload must end in 413.
 */
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const http = require('node:http');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const { GATEWAY_MAIN, ROOT, freePort, startNode, stop, waitUntilUp } = require('./lib/processes');

const API_KEY = 'bench-api-key-0123456789abcdef';
const MB = 1024 * 1024;

function startSink(port) {
  const state = { received: 0 };
  const server = http.createServer((req, res) => {
    if (req.method === 'POST') {
      req.on('data', (chunk) => (state.received += chunk.length));
      req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"result":"job-1"}'));
      req.on('error', () => undefined);
      return;
    }
    req.resume();
    res
      .writeHead(200, { 'Content-Type': 'application/json' })
      .end('{"jobId":"job-1","status":"COMPLETE","importResult":{"course":{"id":"big","title":"Big"}}}');
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, state })));
}

function peakRssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024;
}

function upload(port, sizeMb, { chunked = false } = {}) {
  const boundary = 'bench-boundary';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.zip"\r\n` +
      'Content-Type: application/zip\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const block = Buffer.alloc(MB, 7);
  block.write('PK\x03\x04', 0, 'latin1');
  const headers = { Authorization: `Bearer ${API_KEY}`, 'Content-Type': `multipart/form-data; boundary=${boundary}` };
  if (!chunked) headers['Content-Length'] = head.length + sizeMb * MB + tail.length;
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(
      { headers, host: '127.0.0.1', method: 'POST', path: '/api/v1/scorm/courses?course_id=big', port },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, status: res.statusCode }));
      },
    );
    req.on('error', reject);
    req.write(head);
    let sent = 0;
    const pump = () => {
      while (sent < sizeMb) {
        sent++;
        // Only the first block starts with the zip signature; fresh buffers keep the client honest too.
        if (!req.write(sent === 1 ? block : Buffer.alloc(MB, 7))) return void req.once('drain', pump);
      }
      req.end(tail);
    };
    pump();
  });
}

async function main() {
  const sinkPort = await freePort();
  const { server, state } = await startSink(sinkPort);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'scorm-upload-bench-'));
  const gateway = startNode(
    GATEWAY_MAIN,
    {
      API_KEYS: `bench:${API_KEY}`,
      DATABASE_URL: `sqlite:${join(dir, 'gateway.sqlite')}`,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
      PORT: String(port),
      SCORM_CLOUD_API: 'v2',
      SCORM_CLOUD_BASE_URL: `http://127.0.0.1:${sinkPort}/api/v2`,
      SCORM_PRIVATE_KEY_PATH: join(ROOT, 'test/fixtures/keys/scorm_private_key.pem'),
      SCORM_PUBLIC_KEY_PATH: join(ROOT, 'test/fixtures/keys/scorm_public_key.pem'),
    },
    { cwd: ROOT, stderr: 'ignore' },
  );
  try {
    await waitUntilUp(`http://127.0.0.1:${port}/health`, gateway, 15_000).catch((error) => {
      throw new Error(`the built gateway did not start (run \`npm run build\`): ${error.message}`);
    });
    const idle = peakRssMb(gateway.pid);
    const rows = [];
    for (const sizeMb of [10, 150]) {
      state.received = 0;
      const { ms, status } = await upload(port, sizeMb);
      rows.push({ sizeMb, status, ms, received: state.received / MB, peak: peakRssMb(gateway.pid) });
    }
    state.received = 0;
    const over = await upload(port, 205, { chunked: true });
    console.log(`gateway idle peak RSS ${idle.toFixed(0)} MB`);
    for (const r of rows) {
      console.log(
        `upload ${r.sizeMb} MB: HTTP ${r.status} in ${r.ms.toFixed(0)} ms (${((r.sizeMb / r.ms) * 1000).toFixed(0)} MB/s), ` +
          `upstream got ${r.received.toFixed(0)} MB, gateway peak RSS ${r.peak.toFixed(0)} MB (+${(r.peak - idle).toFixed(0)} MB)`,
      );
    }
    console.log(
      `chunked 205 MB upload: HTTP ${over.status} (limit 200 MB), upstream got ${(state.received / MB).toFixed(0)} MB before it was cut`,
    );
    const big = rows[1];
    const ok = big.status === 201 && big.peak - idle < big.sizeMb / 2 && over.status === 413;
    console.log(ok ? 'streamed: peak RSS grew by far less than the upload' : 'FAILED: the upload was not streamed');
    process.exitCode = ok ? 0 : 1;
  } finally {
    await stop(gateway);
    server.close();
    rmSync(dir, { force: true, recursive: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
