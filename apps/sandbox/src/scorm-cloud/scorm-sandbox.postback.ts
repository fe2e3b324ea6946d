import { Injectable, Logger } from '@nestjs/common';

import { ScormSandboxStore, SandboxRegistration, postsWithHttpBasic } from './scorm-sandbox.store';

export interface DeliveryOutcome {
  delivered: boolean;
  status?: number;
  error?: string;
}

const xmlEscape = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** SCORM Cloud v2 RegistrationSchema, as the v2 API answers and posts it. */
export function v2RegistrationJson(store: ScormSandboxStore, r: SandboxRegistration): Record<string, unknown> {
  const course = store.course(r.appId, r.courseId);
  const iso = (date: Date | null) => (date ? date.toISOString() : undefined);
  return {
    completedDate: iso(r.completedDate),
    course: { id: r.courseId, title: course?.title ?? r.courseId, version: course?.version ?? 0 },
    createdDate: iso(r.created),
    firstAccessDate: iso(r.firstAccess),
    id: r.id,
    instance: r.instance,
    lastAccessDate: iso(r.lastAccess),
    learner: { firstName: r.learner.firstName, id: r.learner.id, lastName: r.learner.lastName },
    registrationCompletion: r.completion,
    registrationSuccess: r.success,
    ...(r.score === null ? {} : { score: { scaled: r.score } }),
    totalSecondsTracked: r.totalSeconds,
    updated: iso(r.updated),
  };
}

/** The v1 `<registrationreport format="course">`. */
export function v1RegistrationReport(r: SandboxRegistration): string {
  const complete = r.completion === 'COMPLETED' ? 'complete' : r.completion === 'INCOMPLETE' ? 'incomplete' : 'unknown';
  return (
    `<registrationreport format="course" regid="${xmlEscape(r.id)}" instanceid="${r.instance}">` +
    `<complete>${complete}</complete><success>${r.success.toLowerCase()}</success>` +
    `<totaltime>${r.totalSeconds}</totaltime><score>${r.score === null ? 'unknown' : r.score}</score>` +
    `</registrationreport>`
  );
}

/** Posts a registration's results to its postback URL in the shape its creation asked for. */
@Injectable()
export class ScormSandboxPostbackSender {
  private readonly logger = new Logger('SandboxScormPostback');

  constructor(private readonly store: ScormSandboxStore) {}

  async deliver(registration: SandboxRegistration): Promise<DeliveryOutcome> {
    const postback = registration.postback;
    if (!postback?.url) return { delivered: false, error: 'the registration has no postback URL' };
    const basic = `Basic ${Buffer.from(`${postback.userName}:${postback.password}`).toString('base64')}`;
    let init: RequestInit;
    const httpBasic = postsWithHttpBasic(postback);
    if (postback.api === 'v2') {
      const json = JSON.stringify(v2RegistrationJson(this.store, registration));
      init = httpBasic
        ? { body: json, headers: { Authorization: basic, 'Content-Type': 'application/json' } }
        : {
            body: new URLSearchParams({ data: json, password: postback.password, userName: postback.userName }),
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          };
    } else {
      const xml = `<?xml version="1.0" encoding="utf-8" ?>${v1RegistrationReport(registration)}`;
      init = httpBasic
        ? { body: xml, headers: { Authorization: basic, 'Content-Type': 'text/xml' } }
        : {
            body: new URLSearchParams({ data: xml, password: postback.password, username: postback.userName }),
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          };
    }
    try {
      const response = await fetch(postback.url, {
        ...init,
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(5000),
      });
      await response.arrayBuffer().catch(() => undefined);
      // SCORM Cloud counts any 2xx or 3xx as delivered.
      return { delivered: response.status < 400, status: response.status };
    } catch (error) {
      this.logger.warn(`Postback for ${registration.id} failed: ${(error as Error).message}`);
      return { delivered: false, error: (error as Error).message };
    }
  }
}
