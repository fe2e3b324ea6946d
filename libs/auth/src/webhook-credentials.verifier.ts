import { AppConfigService } from '@app/config';
import { Injectable } from '@nestjs/common';

import { constantTimeEqual } from './constant-time';

/** The user name and password SCORM Cloud sends with each postback (basic auth or form fields). */
@Injectable()
export class WebhookCredentialsVerifier {
  private readonly username: string;
  private readonly password: string;

  constructor(config: AppConfigService) {
    ({ username: this.username, password: this.password } = config.webhook);
  }

  /** Both halves are always compared, so timing does not tell which one was wrong. */
  verify(username: string | undefined, password: string | undefined): boolean {
    if (!this.username || !this.password) return false;
    const userOk = constantTimeEqual(username ?? '', this.username);
    const passOk = constantTimeEqual(password ?? '', this.password);
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
