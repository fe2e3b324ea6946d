/**
 * What the postback benches share: the gateway's environment and credentials, the registrations they seed so every
 * postback reaches the progress projection (not the unknown path), and postback tokens signed as PostbackTokenService
 * signs them.
 */
const { SignJWT, importPKCS8 } = require('jose');
const { randomUUID } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const { ROOT } = require('./processes');

const KEYS = join(ROOT, 'test/fixtures/keys');
const APP_ID = 'BENCHAPP';
const API_KEY = 'bench-api-key-0123456789abcdef';
const USER = 'bench-scorm';
const PASSWORD = 'bench-webhook-password-0123456789';
/** The webhook credentials as SCORM Cloud sends them. */
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const POSTBACK_PATH = '/api/v1/webhooks/scorm-cloud';

/** A built gateway on a loopback port and `databaseUrl`, quiet, no reconciliation pass; `extra` on top. */
function gatewayEnv(port, databaseUrl, extra = {}) {
  return {
    API_KEYS: `bench:${API_KEY}`,
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'development',
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    SCORM_APP_ID: APP_ID,
    SCORM_PRIVATE_KEY_PATH: join(KEYS, 'scorm_private_key.pem'),
    SCORM_PUBLIC_KEY_PATH: join(KEYS, 'scorm_public_key.pem'),
    WEBHOOK_PASSWORD: PASSWORD,
    WEBHOOK_RECONCILE_INTERVAL_MS: '0',
    WEBHOOK_USERNAME: USER,
    ...extra,
  };
}

/** `count` registration rows in REGISTRATION_INSERT's column order. */
function registrationRows(count) {
  const now = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => [
    `bench-reg-${i}-${randomUUID().slice(0, 8)}`,
    'bench-course',
    `learner-${i}`,
    'Bench',
    'Learner',
    'bench-ctx',
    'bench',
    0,
    now,
    now,
  ]);
}

/** Followed by one row's placeholders in the database's dialect. */
const REGISTRATION_INSERT =
  'INSERT INTO scorm_registrations (id, course_id, learner_id, learner_first_name, learner_last_name, ' +
  'context_id, created_by, instance, created_at, updated_at) VALUES ';

let privateKey;
/** RS256, iss = app id, aud scorm-postback, sub = registration. */
async function postbackToken(registrationId) {
  privateKey ??= await importPKCS8(readFileSync(join(KEYS, 'scorm_private_key.pem'), 'utf8'), 'RS256');
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer(APP_ID)
    .setSubject(registrationId)
    .setAudience('scorm-postback')
    .setIssuedAt()
    .setExpirationTime('1d')
    .sign(privateKey);
}

module.exports = {
  API_KEY,
  APP_ID,
  BASIC,
  KEYS,
  POSTBACK_PATH,
  REGISTRATION_INSERT,
  gatewayEnv,
  postbackToken,
  registrationRows,
};
