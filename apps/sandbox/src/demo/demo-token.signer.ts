import { Inject, Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';

import { SANDBOX_CONFIG, SandboxConfig } from '../sandbox.config';
import { DemoUser } from './demo-catalog';

export type TokenSubject = Pick<
  DemoUser,
  'city_id' | 'contexts' | 'email' | 'first_name' | 'last_name' | 'role' | 'school_id' | 'user_id'
>;

/** Demo tokens live as long as a real LMS session token would: minutes, not hours. */
export const DEMO_TOKEN_TTL_SECONDS = 10 * 60;

const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/**
 * Mints the short-lived HS256 user JWT a real LMS would issue, with the shared LMS secret: `sub`, `role`, `iat`,
 * `exp`, the user's scope (`school_id`, `city_id`, `contexts`: the courses they are in with that role) and the
 * OIDC claims `given_name`, `family_name`, `email`, `name`. Written with node:crypto on purpose: the sandbox shares no code with the gateway's verifier.
 */
@Injectable()
export class DemoTokenSigner {
  constructor(@Inject(SANDBOX_CONFIG) private readonly config: SandboxConfig) {}

  sign(user: TokenSubject, now = Date.now()): { token: string; expires_at: string } {
    const iat = Math.floor(now / 1000);
    const exp = iat + DEMO_TOKEN_TTL_SECONDS;
    const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = base64url(
      JSON.stringify({
        city_id: user.city_id,
        contexts: user.contexts,
        email: user.email,
        exp,
        family_name: user.last_name,
        given_name: user.first_name,
        iat,
        name: `${user.first_name} ${user.last_name}`,
        role: user.role,
        school_id: user.school_id,
        sub: user.user_id,
      }),
    );
    const signature = createHmac('sha256', this.config.demo.lmsJwtSecret).update(`${header}.${payload}`).digest();
    return { expires_at: new Date(exp * 1000).toISOString(), token: `${header}.${payload}.${base64url(signature)}` };
  }
}
