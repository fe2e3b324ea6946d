import { sha256 } from '@app/common';
import { AppConfigService } from '@app/config';
import { Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';

/** The user name and password SCORM Cloud sends with each postback (basic auth or form fields). */
@Injectable()
export class WebhookCredentialsVerifier {
  private readonly configured: boolean;
  // The configured secrets' digests, hashed once: every postback is checked, thousands a second.
  private readonly usernameDigest: Buffer;
  private readonly passwordDigest: Buffer;

  constructor(config: AppConfigService) {
    const { username, password } = config.webhook;
    this.configured = Boolean(username && password);
    this.usernameDigest = sha256(username ?? '');
    this.passwordDigest = sha256(password ?? '');
  }

  /** Both halves are always compared, as equal-length digests, so timing tells neither which nor how long. */
  verify(username: string | undefined, password: string | undefined): boolean {
    if (!this.configured) return false;
    const userOk = timingSafeEqual(sha256(username ?? ''), this.usernameDigest);
    const passOk = timingSafeEqual(sha256(password ?? ''), this.passwordDigest);
    return userOk && passOk;
  }

  /** `Authorization: Basic base64(user:password)`. */
  verifyBasicHeader(header: string | undefined): boolean {
    const credentials = parseBasicAuth(header);
    return credentials ? this.verify(credentials.username, credentials.password) : false;
  }
}

export function parseBasicAuth(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic[ ]+([A-Za-z0-9+/]+=*)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { password: decoded.slice(colon + 1), username: decoded.slice(0, colon) };
}
