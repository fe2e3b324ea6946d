import { existsSync, readFileSync } from 'node:fs';

/** A configured secret (or a derived form of one) that must never appear in a log line. */
export interface Secret {
  name: string;
  value: string;
}

export interface SecretHit {
  name: string;
  line: number;
  /** The offending line with the secret itself masked, so the report does not leak it again. */
  excerpt: string;
}

/** Shapes that are secret whatever their value: tokens, credentials, unredacted single-use query values. */
const SECRET_SHAPES: { name: string; pattern: RegExp }[] = [
  { name: 'a JWT', pattern: /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/ },
  { name: 'PEM private key material', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { name: 'an Authorization Basic value', pattern: /\bBasic [A-Za-z0-9+/]{12,}={0,2}/ },
  { name: 'an Authorization Bearer value', pattern: /\bBearer [A-Za-z0-9\-._~+/]{12,}=*/ },
  {
    name: 'an unredacted single-use or secret query value',
    pattern: /[?&](state|token|password|urlpass|secret|access_token)=(?!\[Redacted\]|%5BRedacted%5D|&|\s|"|$)[^&\s"]+/i,
  },
];

const MIN_SECRET_LENGTH = 8;

/** Every secret a gateway configured with `env` holds, plus the encodings it could leak in. */
export function secretsFromEnv(env: Record<string, string | undefined>): Secret[] {
  const secrets: Secret[] = [];
  const add = (name: string, value: string | undefined) => {
    if (!value || value.length < MIN_SECRET_LENGTH) return;
    secrets.push({ name, value });
    secrets.push({ name: `${name} (base64)`, value: Buffer.from(value).toString('base64').replace(/=+$/, '') });
    if (encodeURIComponent(value) !== value)
      secrets.push({ name: `${name} (url-encoded)`, value: encodeURIComponent(value) });
  };
  for (const [index, entry] of (env.API_KEYS ?? '').split(',').entries()) {
    const at = entry.indexOf(':');
    add(`API_KEYS[${index}]`, (at > 0 ? entry.slice(at + 1) : entry).trim());
  }
  add('LMS_JWT_SECRET', env.LMS_JWT_SECRET);
  add('BAZAAR_SECRET_KEY', env.BAZAAR_SECRET_KEY);
  add('SCORM_SECRET_KEY', env.SCORM_SECRET_KEY);
  add('WEBHOOK_PASSWORD', env.WEBHOOK_PASSWORD);
  add('NGROK_AUTHTOKEN', env.NGROK_AUTHTOKEN);
  if (env.WEBHOOK_USERNAME && env.WEBHOOK_PASSWORD) {
    add('webhook Basic credentials', `${env.WEBHOOK_USERNAME}:${env.WEBHOOK_PASSWORD}`);
  }
  if (env.SCORM_APP_ID && env.SCORM_SECRET_KEY)
    add('SCORM Cloud Basic credentials', `${env.SCORM_APP_ID}:${env.SCORM_SECRET_KEY}`);
  const databasePassword = passwordOf(env.DATABASE_URL);
  if (databasePassword) add('DATABASE_URL password', databasePassword);
  for (const chunk of privateKeyChunks(env.SCORM_PRIVATE_KEY_PATH))
    secrets.push({ name: 'SCORM private key', value: chunk });
  return secrets;
}

function passwordOf(url: string | undefined): string | undefined {
  try {
    return url?.startsWith('postgres') ? decodeURIComponent(new URL(url).password) || undefined : undefined;
  } catch {
    return undefined;
  }
}

/** Lines of the PEM body: any one of them in a log means key material leaked. */
function privateKeyChunks(path: string | undefined): string[] {
  if (!path || !existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line && !line.startsWith('-----') && line.length >= 32);
}

export function scanForSecrets(text: string, secrets: Secret[], extraValues: Secret[] = []): SecretHit[] {
  const hits: SecretHit[] = [];
  const all = [...secrets, ...extraValues].filter((secret) => secret.value.length >= MIN_SECRET_LENGTH);
  text.split('\n').forEach((line, index) => {
    for (const secret of all) {
      if (line.includes(secret.value))
        hits.push({ excerpt: mask(line, [secret.value]), line: index + 1, name: secret.name });
    }
    for (const shape of SECRET_SHAPES) {
      const match = shape.pattern.exec(line);
      if (match) hits.push({ excerpt: mask(line, [match[0]]), line: index + 1, name: shape.name });
    }
  });
  return hits;
}

function mask(line: string, values: string[]): string {
  let masked = line;
  for (const value of values) masked = masked.split(value).join(`<${value.slice(0, 3)}…>`);
  return masked.length > 400 ? `${masked.slice(0, 400)}…` : masked;
}

/** Throws naming each leak (masked) so the test run fails. */
export function assertNoSecrets(text: string, secrets: Secret[], source: string, extraValues: Secret[] = []): void {
  const hits = scanForSecrets(text, secrets, extraValues);
  if (!hits.length) return;
  const lines = hits.slice(0, 20).map((hit) => `  line ${hit.line}: ${hit.name}: ${hit.excerpt}`);
  throw new Error(`Secret scan: ${hits.length} leak(s) in ${source}:\n${lines.join('\n')}`);
}
