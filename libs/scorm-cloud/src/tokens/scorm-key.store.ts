import { DomainError } from '@app/common';
import { AppConfigService } from '@app/config';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { JWK, calculateJwkThumbprint, exportJWK } from 'jose';
import { KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ScormSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** RFC 7638 thumbprint of the public key. */
  kid: string;
  publicJwk: JWK;
}

/** Writes a fresh RSA key pair as PEM (PKCS#8 private, SPKI public); `npm run keys` does the same. */
export function generateRsaKeyPairFiles(privateKeyPath: string, publicKeyPath: string): void {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  mkdirSync(dirname(privateKeyPath), { recursive: true });
  mkdirSync(dirname(publicKeyPath), { recursive: true });
  writeFileSync(privateKeyPath, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  writeFileSync(publicKeyPath, publicKey.export({ format: 'pem', type: 'spki' }), { mode: 0o644 });
}

/**
 * The RS256 key pair from SCORM_PRIVATE_KEY_PATH / SCORM_PUBLIC_KEY_PATH. Outside production a missing pair is
 * generated on first start, so a fresh checkout runs; production refuses to invent keys.
 */
@Injectable()
export class ScormKeyStore implements OnModuleInit {
  private readonly logger = new Logger(ScormKeyStore.name);
  private key?: ScormSigningKey;

  constructor(private readonly config: AppConfigService) {}

  async onModuleInit(): Promise<void> {
    await this.load();
  }

  async signingKey(): Promise<ScormSigningKey> {
    return this.key ?? (await this.load());
  }

  private async load(): Promise<ScormSigningKey> {
    const { privateKeyPath, publicKeyPath } = this.config.scormCloud;
    const missing = [privateKeyPath, publicKeyPath].filter((path) => !existsSync(path));
    if (missing.length === 2 && this.config.env !== 'production') {
      generateRsaKeyPairFiles(privateKeyPath, publicKeyPath);
      this.logger.log(`Generated an RSA key pair for SCORM tokens at ${privateKeyPath} and ${publicKeyPath}`);
    } else if (missing.length) {
      throw new DomainError(
        'SCORM_KEYS_MISSING',
        `SCORM token key file(s) missing: ${missing.join(', ')} (run \`npm run keys\` or set SCORM_PRIVATE_KEY_PATH/SCORM_PUBLIC_KEY_PATH)`,
        'internal',
      );
    }
    const privateKey = createPrivateKey(readFileSync(privateKeyPath));
    const publicKey = createPublicKey(readFileSync(publicKeyPath));
    if (privateKey.asymmetricKeyType !== 'rsa' || publicKey.asymmetricKeyType !== 'rsa') {
      throw new DomainError('SCORM_KEYS_INVALID', 'SCORM token keys must be an RSA key pair', 'internal');
    }
    const derived = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    if (!derived.equals(publicKey.export({ format: 'der', type: 'spki' }))) {
      throw new DomainError(
        'SCORM_KEYS_MISMATCH',
        `The public key at ${publicKeyPath} does not belong to the private key at ${privateKeyPath}`,
        'internal',
      );
    }
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    this.key = { kid, privateKey, publicJwk, publicKey };
    return this.key;
  }
}
