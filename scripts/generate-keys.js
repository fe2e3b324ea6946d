#!/usr/bin/env node
/**
 * `npm run keys`: writes the RSA key pair the gateway signs SCORM tokens with (RS256) — PKCS#8 private key and
 * SPKI public key in PEM — using node:crypto, so no openssl is needed. Paths come from SCORM_PRIVATE_KEY_PATH /
 * SCORM_PUBLIC_KEY_PATH (environment or .env), default keys/ (git-ignored).
 *
 *   npm run keys                  generate, refusing to overwrite an existing pair
 *   npm run keys -- --force       replace an existing pair (tokens signed with the old key stop verifying)
 *   npm run keys -- --if-missing  do nothing when both files exist (used by `npm start`)
 *   npm run keys -- --group 1000  also give the pair to group 1000 (the container's `node` user; an existing pair
 *                                 is only re-grouped), so a container reading the mounted keys/ can read them
 *
 * The private key is 0640 (owner and group read), the public key 0644. It runs before `npm install` (the README's
 * order): node: built-ins only, .env read with util.parseEnv.
 */
const { generateKeyPairSync, createPublicKey, createPrivateKey } = require('node:crypto');
const { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');

const root = join(__dirname, '..');
const argv = process.argv.slice(2);
const groupAt = argv.indexOf('--group');
const group = groupAt >= 0 ? argv.splice(groupAt, 2)[1] : undefined;
const args = new Set(argv);
const unknown = [...args].filter((arg) => !['--force', '--if-missing', '--help', '-h'].includes(arg));
const badGroup = groupAt >= 0 && !/^\d+$/.test(group ?? '');
if (args.has('--help') || args.has('-h') || unknown.length || badGroup) {
  console.log('Usage: npm run keys [-- --force | --if-missing] [-- --group <gid>]');
  process.exit(unknown.length || badGroup ? 2 : 0);
}

/** .env in dotenv's syntax, without dotenv: this script runs before `npm install`. */
function parseEnvFile(text) {
  const { parseEnv } = require('node:util');
  return parseEnv ? parseEnv(text) : require('dotenv').parse(text);
}
const fileEnv = existsSync(join(root, '.env')) ? parseEnvFile(readFileSync(join(root, '.env'), 'utf8')) : {};
const env = { ...fileEnv, ...process.env };
const privatePath = resolve(root, env.SCORM_PRIVATE_KEY_PATH || 'keys/scorm_private_key.pem');
const publicPath = resolve(root, env.SCORM_PUBLIC_KEY_PATH || 'keys/scorm_public_key.pem');

const present = [privatePath, publicPath].filter((path) => existsSync(path));

/** Private key 0640 and both files in `group`, so a container's user in that group reads them. */
function giveToGroup() {
  if (group === undefined) return;
  try {
    for (const path of [privatePath, publicPath]) chownSync(path, -1, Number(group));
    chmodSync(privatePath, 0o640);
  } catch (error) {
    console.error(`Could not give the SCORM keys to group ${group} (${error.code}); run it as root: sudo chgrp ${group} ${privatePath} ${publicPath}`);
    process.exit(1);
  }
  console.log(`${privatePath} (0640) and ${publicPath} belong to group ${group}.`);
}

if (present.length === 2 && group !== undefined && !args.has('--force')) {
  giveToGroup();
  process.exit(0);
}
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
writeFileSync(privatePath, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o640 });
writeFileSync(publicPath, publicKey.export({ format: 'pem', type: 'spki' }), { mode: 0o644 });
// writeFileSync's mode is filtered by the umask and ignored for an existing file (--force): set it outright.
chmodSync(privatePath, 0o640);
chmodSync(publicPath, 0o644);
console.log(`Wrote ${privatePath} (private, keep secret) and ${publicPath} (public; also served at /.well-known/jwks.json).`);
giveToGroup();
