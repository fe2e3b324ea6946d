#!/usr/bin/env node
/**
 * `npm run keys`: writes the RSA key pair the gateway signs SCORM tokens with (RS256) — PKCS#8 private key and
 * SPKI public key in PEM — using node:crypto, so no openssl is needed. Paths come from SCORM_PRIVATE_KEY_PATH /
 * SCORM_PUBLIC_KEY_PATH (environment or .env), default keys/ (git-ignored).
 *
 *   npm run keys                  generate, refusing to overwrite an existing pair
 *   npm run keys -- --force       replace an existing pair (tokens signed with the old key stop verifying)
 *   npm run keys -- --if-missing  do nothing when both files exist (used by `npm start`)
 */
const { generateKeyPairSync, createPublicKey, createPrivateKey } = require('node:crypto');
const { existsSync, mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');

const root = join(__dirname, '..');
const args = new Set(process.argv.slice(2));
const unknown = [...args].filter((arg) => !['--force', '--if-missing', '--help', '-h'].includes(arg));
if (args.has('--help') || args.has('-h') || unknown.length) {
  console.log('Usage: npm run keys [-- --force | --if-missing]');
  process.exit(unknown.length ? 2 : 0);
}

const fileEnv = existsSync(join(root, '.env')) ? require('dotenv').parse(readFileSync(join(root, '.env'))) : {};
const env = { ...fileEnv, ...process.env };
const privatePath = resolve(root, env.SCORM_PRIVATE_KEY_PATH || 'keys/scorm_private_key.pem');
const publicPath = resolve(root, env.SCORM_PUBLIC_KEY_PATH || 'keys/scorm_public_key.pem');

const present = [privatePath, publicPath].filter((path) => existsSync(path));
if (present.length === 2 && args.has('--if-missing')) {
  try {
    const derived = createPublicKey(createPrivateKey(readFileSync(privatePath))).export({ format: 'der', type: 'spki' });
    const stored = createPublicKey(readFileSync(publicPath)).export({ format: 'der', type: 'spki' });
    if (!derived.equals(stored)) console.warn(`Warning: ${publicPath} does not belong to ${privatePath}`);
  } catch (error) {
    console.warn(`Warning: the SCORM key files could not be read: ${error.message}`);
  }
  process.exit(0);
}
if (present.length && !args.has('--force')) {
  if (args.has('--if-missing')) {
    console.error(`Only one SCORM key file exists (${present[0]}); remove it or run \`npm run keys -- --force\`.`);
  } else {
    console.error(`SCORM keys already exist (${present.join(', ')}); use \`npm run keys -- --force\` to replace them.`);
  }
  process.exit(1);
}

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
mkdirSync(dirname(privatePath), { recursive: true });
mkdirSync(dirname(publicPath), { recursive: true });
writeFileSync(privatePath, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
writeFileSync(publicPath, publicKey.export({ format: 'pem', type: 'spki' }), { mode: 0o644 });
console.log(`Wrote ${privatePath} (private, keep secret) and ${publicPath} (public; also served at /.well-known/jwks.json).`);
