import { ValidationFailedError } from '../errors/domain.error';

/**
 * No open redirects: every URL the gateway sends a browser to on a caller's behalf (Bazaar's return URL, the
 * SCORM player's exit URL) must be an absolute http(s) URL on one of ALLOWED_RETURN_ORIGINS.
 */
export function assertAllowedReturnUrl(value: string, allowedOrigins: readonly string[], field: string): void {
  let origin: string | undefined;
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') origin = url.origin;
  } catch {
    // Not a URL: answered below.
  }
  if (origin === undefined) throw refused(field, `${field} must be an absolute http(s) URL (rule: isUrl)`);
  if (!allowedOrigins.includes(origin)) {
    throw refused(field, `${field} origin ${origin} is not in ALLOWED_RETURN_ORIGINS (rule: allowedReturnOrigin)`);
  }
}

function refused(field: string, message: string): ValidationFailedError {
  return new ValidationFailedError(message, { [field]: [message] }, 'RETURN_URL_NOT_ALLOWED');
}
