/**
 * The floor under the Bazaar latency goal, for bench/bazaar.bench.js: a bare node:http relay that does only what no
 * gateway can skip. It reads the POST, parses the JSON, signs it as Bazaar wants (HMAC-SHA256 of the raw bytes), sends
 * it to the sandbox over a keep-alive agent and answers Bazaar's JSON. No validation, authentication, database,
 * headers or metrics. Started as a child process: RELAY_PORT, RELAY_UPSTREAM (the sandbox's lms/ base URL),
 * RELAY_CLIENT_ID, RELAY_SECRET.
 */
const { createHmac } = require('node:crypto');
const http = require('node:http');

const { RELAY_CLIENT_ID, RELAY_PORT, RELAY_SECRET, RELAY_UPSTREAM } = process.env;
const agent = new http.Agent({ keepAlive: true });

function relay(path, payload, answer) {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const hash = createHmac('sha256', RELAY_SECRET).update(body).digest('hex');
  const req = http.request(`${RELAY_UPSTREAM}${path}`, {
    agent,
    headers: {
      authentication: `BAZAAR ${RELAY_CLIENT_ID}:${hash}`,
      'content-length': body.length,
      'content-type': 'application/json',
    },
    method: 'POST',
  });
  req.on('response', (res) => {
    const chunks = [];
    res.on('data', (chunk) => chunks.push(chunk));
    res.on('end', () => answer(res.statusCode, Buffer.concat(chunks)));
  });
  req.on('error', () => answer(502, Buffer.from('{"error":"upstream"}')));
  req.end(body);
}

const server = http.createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let payload;
    try {
      payload = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.statusCode = 400;
      return res.end();
    }
    relay(req.url, payload, (status, json) => {
      res.writeHead(status, { 'content-length': json.length, 'content-type': 'application/json' });
      res.end(json);
    });
  });
});
server.listen(Number(RELAY_PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
