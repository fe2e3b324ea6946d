import { DomainError } from '@app/common';

/** No open redirects: a return URL must be on one of ALLOWED_RETURN_ORIGINS. */
export function assertAllowedReturnUrl(value: string, allowedOrigins: string[], field = 'return_url'): void {
  let origin: string;
  try {
    origin = new URL(value).origin;
  } catch {
    throw new DomainError('RETURN_URL_NOT_ALLOWED', `${field} is not an absolute URL`, 'bad_request');
  }
  if (!allowedOrigins.includes(origin)) {
    throw new DomainError(
      'RETURN_URL_NOT_ALLOWED',
      `${field} must be on an origin listed in ALLOWED_RETURN_ORIGINS (${origin} is not)`,
      'bad_request',
      { [field]: [`${field} origin ${origin} is not in ALLOWED_RETURN_ORIGINS (rule: allowedReturnOrigin)`] },
    );
  }
}

/** The return URL with the callback's outcome added to its query (existing parameters are kept). */
export function withOutcome(returnUrl: string, outcome: Record<string, string | number>): string {
  const url = new URL(returnUrl);
  for (const [key, value] of Object.entries(outcome)) url.searchParams.set(key, String(value));
  return url.toString();
}
