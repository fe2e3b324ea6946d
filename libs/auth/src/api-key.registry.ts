import { sha256 } from '@app/common';
import { AppConfigService } from '@app/config';
import { Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';

interface StoredKey {
  name: string;
  hash: Buffer;
}

/** API keys from `API_KEYS`, kept only as SHA-256 hashes and compared in constant time. */
@Injectable()
export class ApiKeyRegistry {
  private readonly keys: StoredKey[];

  constructor(config: AppConfigService) {
    this.keys = config.auth.apiKeys.map(({ name, key }) => ({ hash: sha256(key), name }));
  }

  /** The key's name, or undefined. Every stored key is compared, so timing does not tell which one matched. */
  identify(presented: string): string | undefined {
    const hash = sha256(presented);
    let match: string | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(hash, key.hash) && match === undefined) match = key.name;
    }
    return match;
  }
}
