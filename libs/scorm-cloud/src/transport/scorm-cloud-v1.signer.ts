import { Clock } from '@app/common';
import { AppConfigService } from '@app/config';
import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';

export type V1Params = Record<string, string>;

/** `yyyyMMddHHmmss` in UTC, the v1 `ts` format (the v1 spec). */
export function formatV1Timestamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    String(date.getUTCFullYear()) +
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes()) +
    pad(date.getUTCSeconds())
  );
}

/** The v1 spec: MD5(secret + key1value1key2value2…) over raw values, keys sorted case-insensitively, lowercase hex. */
export function computeV1Signature(secret: string, params: V1Params): string {
  const signing = Object.keys(params)
    .filter((key) => key !== 'sig')
    .sort(compareKeys)
    .map((key) => key + params[key])
    .join('');
  return createHash('md5')
    .update(secret + signing, 'utf8')
    .digest('hex');
}

function compareKeys(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Signs SCORM Cloud v1 calls with the app's secret and the injected clock. The clock offset is SCORM Cloud's time
 * minus ours, learnt from `rustici.debug.getTime` after a 107 (timestamp outside 15 minutes).
 */
@Injectable()
export class ScormCloudV1Signer {
  private offsetMs = 0;

  constructor(
    private readonly config: AppConfigService,
    private readonly clock: Clock,
  ) {}

  get clockOffsetMs(): number {
    return this.offsetMs;
  }

  setClockOffset(ms: number): void {
    this.offsetMs = ms;
  }

  /** Our best estimate of SCORM Cloud's current time. */
  now(): Date {
    return new Date(this.clock.now().getTime() + this.offsetMs);
  }

  /** Adds `appid` and `ts`, then `sig`; values are URL-encoded only after signing. */
  sign(params: V1Params): V1Params {
    const { appId, secretKey } = this.config.scormCloud;
    const withAuth: V1Params = { ...params, appid: appId, ts: formatV1Timestamp(this.now()) };
    delete withAuth.sig;
    return { ...withAuth, sig: computeV1Signature(secretKey, withAuth) };
  }

  /** The signed query string (without `?`). */
  signedQuery(params: V1Params): string {
    return new URLSearchParams(this.sign(params)).toString();
  }
}
