import { DomainError, ErrorCode } from '@app/common';
import { AxiosError } from 'axios';

/** SCORM Cloud refused our app id / secret (v2 401, v1 signature errors): our configuration is wrong. */
export class ScormCloudRejectedError extends DomainError {
  constructor(detail: string) {
    super(
      'SCORM_CLOUD_AUTH_REJECTED',
      `SCORM Cloud rejected our credentials (${detail}); check SCORM_APP_ID and SCORM_SECRET_KEY`,
      'upstream_rejected',
    );
  }
}

export class ScormCloudUnavailableError extends DomainError {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, 'upstream_unavailable', undefined, options);
  }
}

export class ScormCloudTimeoutError extends DomainError {
  constructor(timeoutMs: number) {
    super('SCORM_CLOUD_TIMEOUT', `SCORM Cloud did not answer within ${timeoutMs} ms`, 'upstream_timeout');
  }
}

/** What either client throws when a request got no HTTP answer: a time-out (504) or unreachable (502). */
export function scormCloudTransportError(error: unknown, timeoutMs: number): DomainError {
  if (error instanceof DomainError) return error;
  const code = (error as AxiosError)?.code;
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === AxiosError.ERR_CANCELED) {
    return new ScormCloudTimeoutError(timeoutMs);
  }
  return new ScormCloudUnavailableError(
    'SCORM_CLOUD_UNREACHABLE',
    `SCORM Cloud could not be reached (${code ?? 'network error'})`,
    { cause: error },
  );
}

export function parseDate(value: unknown): Date | null {
  if (typeof value !== 'string' || !value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function parseNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}
