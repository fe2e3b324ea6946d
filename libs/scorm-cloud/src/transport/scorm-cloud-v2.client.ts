import { ConflictError, DomainError, GatewayMetrics, NotFoundError } from '@app/common';
import { AppConfigService } from '@app/config';
import { HttpService } from '@nestjs/axios';
import { Injectable, Logger } from '@nestjs/common';
import { AxiosRequestConfig, Method } from 'axios';
import FormData from 'form-data';
import { setTimeout as sleep } from 'node:timers/promises';

import type {
  CompletionStatus,
  RegistrationProgressUpdate,
  SuccessStatus,
} from '../registrations/registration-progress.types';
import { RegistrationOwner, adoptEarlierCreate } from './registration-adoption';
import {
  ScormCloudRejectedError,
  ScormCloudUnavailableError,
  parseDate,
  parseNumber,
  scormCloudTransportError,
} from './scorm-cloud.errors';
import type {
  CourseUpload,
  ImportJob,
  LaunchLink,
  LaunchRequest,
  NewRegistration,
  ScormCloudTransport,
  ScormCourse,
} from './scorm-cloud.transport';
import { deleteRegistrationsUpstream } from './scorm-cloud.transport';

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'DELETE', 'PUT']);
const RETRYABLE_STATUS = (status: number) => status === 429 || status >= 500;
const MAX_ATTEMPTS = 3;
const BASE_BACKOFF_MS = 150;
const MAX_COURSE_PAGES = 100;
/** A large zip takes far longer than an API answer; the import itself is then polled with the normal time-out. */
const UPLOAD_TIMEOUT_MS = 10 * 60_000;

interface V2Registration {
  id?: string;
  instance?: number;
  updated?: string;
  registrationCompletion?: string;
  registrationSuccess?: string;
  score?: { scaled?: number | string | null } | null;
  totalSecondsTracked?: number | string | null;
  firstAccessDate?: string;
  lastAccessDate?: string;
  completedDate?: string;
}

/**
 * SCORM Cloud REST API v2: HTTP Basic appId:secretKey, JSON; the only code that knows its URLs. Requests follow
 * Rustici's generated v2 client (@rusticisoftware/scormcloud-api-v2-client-javascript), which the sandbox enforces.
 */
@Injectable()
export class ScormCloudV2Client implements ScormCloudTransport {
  private readonly logger = new Logger(ScormCloudV2Client.name);
  private readonly defaults: AxiosRequestConfig;
  private readonly timeoutMs: number;

  constructor(
    private readonly http: HttpService,
    config: AppConfigService,
    private readonly metrics: GatewayMetrics,
  ) {
    const { appId, baseUrl, secretKey, timeoutMs } = config.scormCloud;
    this.timeoutMs = timeoutMs;
    this.defaults = {
      auth: { password: secretKey, username: appId },
      baseURL: `${baseUrl}/`,
      headers: { Accept: 'application/json' },
      maxRedirects: 0,
      timeout: timeoutMs,
      validateStatus: () => true,
    };
  }

  async listCourses(): Promise<ScormCourse[]> {
    const courses: ScormCourse[] = [];
    let more: string | undefined;
    for (let page = 0; page < MAX_COURSE_PAGES; page++) {
      const body = await this.request<{ courses?: Record<string, unknown>[]; more?: string }>(
        'GET',
        'courses',
        'courses',
        // registrationCount is in the answer only when asked for.
        { params: { includeRegistrationCount: true, ...(more ? { more } : {}) } },
      );
      if (!Array.isArray(body?.courses)) throw malformed('the course list has no courses array');
      for (const course of body.courses) courses.push(toCourse(course));
      more = typeof body.more === 'string' && body.more ? body.more : undefined;
      if (!more) break;
    }
    return courses;
  }

  async deleteCourse(courseId: string): Promise<void> {
    await this.request('DELETE', `courses/${encodeURIComponent(courseId)}`, `course ${courseId}`);
  }

  async startImport(upload: CourseUpload): Promise<{ jobId: string }> {
    const form = new FormData();
    form.append('file', upload.file, {
      contentType: 'application/zip',
      filename: upload.filename,
      ...(upload.size !== undefined ? { knownLength: upload.size } : {}),
    });
    const body = await this.request<{ result?: string }>('POST', 'courses/importJobs/upload', 'course import', {
      data: form,
      headers: form.getHeaders(),
      maxBodyLength: Infinity,
      params: { courseId: upload.courseId, mayCreateNewVersion: upload.mayCreateNewVersion },
      timeout: UPLOAD_TIMEOUT_MS,
    });
    if (typeof body?.result !== 'string' || !body.result) throw malformed('the import answer has no job id');
    return { jobId: body.result };
  }

  async importJob(jobId: string): Promise<ImportJob> {
    const body = await this.request<{
      jobId?: string;
      status?: string;
      message?: string;
      importResult?: { course?: { id?: string; title?: string } };
    }>('GET', `courses/importJobs/${encodeURIComponent(jobId)}`, `import job ${jobId}`);
    if (!body || typeof body !== 'object') throw malformed('the import job answer is empty');
    const status = String(body.status ?? '').toUpperCase();
    if (status !== 'RUNNING' && status !== 'COMPLETE' && status !== 'ERROR') {
      throw malformed(`import job status "${body.status}" is unknown`);
    }
    return {
      courseId: body.importResult?.course?.id ?? null,
      jobId: body.jobId ?? jobId,
      message: body.message ?? null,
      status,
      title: body.importResult?.course?.title ?? null,
    };
  }

  async createRegistration(registration: NewRegistration): Promise<void> {
    const id = registration.registrationId;
    let body: unknown;
    try {
      body = await this.request('POST', 'registrations', `registration ${id}`, {
        data: {
          courseId: registration.courseId,
          learner: {
            firstName: registration.learner.firstName,
            id: registration.learner.id,
            lastName: registration.learner.lastName,
          },
          // Every postback setting explicitly: an unset one falls back to app-level settings we do not control.
          postBack: {
            authType: 'HTTPBASIC',
            password: registration.postback.password,
            resultsFormat: 'FULL',
            url: registration.postback.url,
            userName: registration.postback.username,
          },
          registrationId: id,
        },
      });
    } catch (error) {
      // createRegistration documents only 400 for a refused create; 409 is accepted too, as a conflict's own status.
      const refused =
        error instanceof ConflictError || (error instanceof DomainError && error.code === 'SCORM_CLOUD_BAD_REQUEST');
      if (!refused) throw error;
      try {
        await adoptEarlierCreate(error, registration, () => this.registrationOwner(id), this.logger);
        return;
      } catch (final) {
        // The same 400 answers an unknown course: name it, as v1's error 1 does.
        if (final === error && (await this.courseMissing(registration.courseId))) {
          throw new NotFoundError('SCORM_CLOUD_NOT_FOUND', `SCORM Cloud has no course ${registration.courseId}`);
        }
        throw final;
      }
    }
    // SCORM Cloud answers 204 No Content; a 2xx with a body is something else (a proxy, an error page).
    if (body !== undefined) throw malformed('the registration answer has a body where none was expected');
  }

  private async courseMissing(courseId: string): Promise<boolean> {
    try {
      await this.request('GET', `courses/${encodeURIComponent(courseId)}`, `course ${courseId}`);
      return false;
    } catch (error) {
      return error instanceof NotFoundError;
    }
  }

  /** Course and learner of an existing registration, or null when SCORM Cloud has none. */
  private async registrationOwner(registrationId: string): Promise<RegistrationOwner | null> {
    try {
      const body = await this.request<{ course?: { id?: string }; learner?: { id?: string } }>(
        'GET',
        `registrations/${encodeURIComponent(registrationId)}`,
        `registration ${registrationId}`,
      );
      if (typeof body?.course?.id !== 'string' || typeof body?.learner?.id !== 'string') {
        throw malformed('the registration answer names no course or learner');
      }
      return { courseId: body.course.id, learnerId: body.learner.id };
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  }

  async registrationProgress(registrationId: string): Promise<RegistrationProgressUpdate> {
    const body = await this.request<V2Registration>(
      'GET',
      `registrations/${encodeURIComponent(registrationId)}`,
      `registration ${registrationId}`,
    );
    if (typeof body?.id !== 'string') throw malformed('the registration answer has no id');
    return toProgress(registrationId, body);
  }

  async deleteRegistration(registrationId: string): Promise<void> {
    await this.request(
      'DELETE',
      `registrations/${encodeURIComponent(registrationId)}`,
      `registration ${registrationId}`,
    );
  }

  async resetRegistration(registrationId: string): Promise<void> {
    await this.request(
      'DELETE',
      `registrations/${encodeURIComponent(registrationId)}/progress`,
      `registration ${registrationId}`,
    );
  }

  async launchLink(registrationId: string, request: LaunchRequest): Promise<LaunchLink> {
    // SCORM Cloud accepts 10-300 s for a launch link's expiry.
    const expiry = Math.min(300, Math.max(10, Math.round(request.expirySeconds)));
    const startedAt = Date.now();
    const body = await this.request<{ launchLink?: string }>(
      'POST',
      `registrations/${encodeURIComponent(registrationId)}/launchLink`,
      `registration ${registrationId}`,
      // redirectOnExitUrl is required (LaunchLinkRequestSchema); an empty string means the account's setting.
      { data: { expiry, redirectOnExitUrl: request.redirectUrl ?? '' } },
    );
    if (typeof body?.launchLink !== 'string' || !/^https?:\/\//.test(body.launchLink)) {
      throw malformed('the launch link answer has no launchLink URL');
    }
    return { expiresAt: new Date(startedAt + expiry * 1000), url: body.launchLink };
  }

  /**
   * A right-to-erasure request on v2 takes two calls. The registrations the gateway made for the learner are deleted
   * (RegistrationApi.deleteRegistration, `DELETE /registrations/{registrationId}`, every instance with it; a 404 is
   * one already gone): they hold the learner's name and results, which the PII deletion alone leaves behind. Then
   * `POST /learner/{learnerId}/delete-information?userEmail=…` (LearnerApi.deleteAllLearnerData) erases the learner's
   * personal data anywhere else on the account, in the background; the email must be a realm user's. Nothing is
   * asked without that email, so an unconfigured deletion deletes nothing upstream either.
   */
  async eraseLearner(learnerId: string, registrationIds: string[], realmUserEmail?: string) {
    if (!realmUserEmail) throw learnerDeletionNotConfigured();
    const counts = await deleteRegistrationsUpstream(registrationIds, (id) => this.deleteRegistration(id));
    await this.request('POST', `learner/${encodeURIComponent(learnerId)}/delete-information`, `learner ${learnerId}`, {
      params: { userEmail: realmUserEmail },
    });
    return {
      api: 'v2' as const,
      ...counts,
      request: 'DELETE /registrations/{registrationId}, POST /learner/{learnerId}/delete-information',
      status: 'accepted' as const,
    };
  }

  private async request<T = unknown>(
    method: Method,
    path: string,
    what: string,
    options: AxiosRequestConfig = {},
  ): Promise<T> {
    const safe = SAFE_METHODS.has(method.toUpperCase());
    for (let attempt = 1; ; attempt++) {
      let status: number;
      let data: unknown;
      let headers: Record<string, unknown> = {};
      try {
        const response = await this.metrics.timeUpstream('scorm_cloud', operationOf(method, path), () =>
          this.http.axiosRef.request({
            ...this.defaults,
            ...options,
            headers: { ...this.defaults.headers, ...options.headers },
            method,
            url: path,
          }),
        );
        ({ data, headers, status } = response);
      } catch (error) {
        const mapped = scormCloudTransportError(error, (options.timeout as number | undefined) ?? this.timeoutMs);
        // A time-out has used up the caller's budget: retrying it would only multiply the wait.
        if (safe && attempt < MAX_ATTEMPTS && mapped.kind !== 'upstream_timeout') {
          await sleep(backoff(attempt));
          continue;
        }
        throw mapped;
      }
      if (status >= 200 && status < 300) {
        // axios hands back the raw text when a body does not parse: an HTML page or a cut-off JSON answer
        // (a proxy, a maintenance page) must not pass for success.
        if (typeof data === 'string' && data.trim()) {
          throw malformed(`the ${what} answer is not JSON (${String(headers['content-type'] ?? 'no content type')})`);
        }
        return (data === '' || data === null ? undefined : data) as T;
      }
      if (safe && attempt < MAX_ATTEMPTS && RETRYABLE_STATUS(status)) {
        await sleep(retryAfterMs(headers['retry-after']) ?? backoff(attempt));
        continue;
      }
      throw statusError(status, data, what);
    }
  }
}

/** Words of the v2 API's paths; any other segment is an id, so `GET registrations/{id}` is one series. */
const V2_PATH_WORDS = new Set([
  'courses',
  'delete-information',
  'importJobs',
  'launchLink',
  'learner',
  'progress',
  'registrations',
  'upload',
]);

function operationOf(method: string, path: string): string {
  const template = path.split('/').map((segment) => (V2_PATH_WORDS.has(segment) ? segment : '{id}'));
  return `${method.toUpperCase()} ${template.join('/')}`;
}

/** v2's learner deletion needs a realm user's email; without one nothing is asked or erased. */
export function learnerDeletionNotConfigured(): DomainError {
  return new DomainError(
    'LEARNER_DELETION_NOT_CONFIGURED',
    "SCORM Cloud v2 erases a learner's data only on behalf of a realm user: set SCORM_CLOUD_REALM_USER_EMAIL",
    'unavailable',
  );
}

function backoff(attempt: number): number {
  return BASE_BACKOFF_MS * 2 ** (attempt - 1) + Math.floor(Math.random() * BASE_BACKOFF_MS);
}

function retryAfterMs(value: unknown): number | undefined {
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, 5000) : undefined;
}

function upstreamMessage(data: unknown): string | undefined {
  if (data && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string') {
    return (data as { message: string }).message.slice(0, 500);
  }
  return typeof data === 'string' && data ? data.slice(0, 200) : undefined;
}

function statusError(status: number, data: unknown, what: string): DomainError {
  const message = upstreamMessage(data);
  if (status === 401 || status === 403) return new ScormCloudRejectedError(`HTTP ${status}`);
  if (status === 404) return new NotFoundError('SCORM_CLOUD_NOT_FOUND', `SCORM Cloud has no ${what}`);
  if (status === 409) {
    return new ConflictError('SCORM_CLOUD_CONFLICT', `SCORM Cloud says the ${what} already exists`);
  }
  if (status === 400 || status === 422) {
    return new DomainError(
      'SCORM_CLOUD_BAD_REQUEST',
      `SCORM Cloud refused the ${what} request${message ? `: ${message}` : ''}`,
      'upstream_bad_request',
    );
  }
  if (status === 429)
    return new ScormCloudUnavailableError('SCORM_CLOUD_RATE_LIMITED', 'SCORM Cloud is rate limiting us');
  return new ScormCloudUnavailableError(
    'SCORM_CLOUD_UNAVAILABLE',
    `SCORM Cloud answered HTTP ${status} for the ${what}`,
  );
}

function malformed(detail: string): DomainError {
  return new ScormCloudUnavailableError(
    'SCORM_CLOUD_MALFORMED_RESPONSE',
    `SCORM Cloud sent an unexpected answer: ${detail}`,
  );
}

function toCourse(course: Record<string, unknown>): ScormCourse {
  return {
    id: String(course.id ?? ''),
    learningStandard: typeof course.courseLearningStandard === 'string' ? course.courseLearningStandard : null,
    registrationCount: parseNumber(course.registrationCount),
    title: typeof course.title === 'string' ? course.title : '',
    updated: parseDate(course.updated),
    version: parseNumber(course.version),
  };
}

const COMPLETION: ReadonlySet<string> = new Set(['COMPLETED', 'INCOMPLETE', 'UNKNOWN']);
const SUCCESS: ReadonlySet<string> = new Set(['PASSED', 'FAILED', 'UNKNOWN']);

export function toProgress(registrationId: string, body: V2Registration): RegistrationProgressUpdate {
  const completion = String(body.registrationCompletion ?? '').toUpperCase();
  const success = String(body.registrationSuccess ?? '').toUpperCase();
  const seconds = parseNumber(body.totalSecondsTracked);
  return {
    completedDate: parseDate(body.completedDate),
    completion: (COMPLETION.has(completion) ? completion : 'UNKNOWN') as CompletionStatus,
    firstAccessDate: parseDate(body.firstAccessDate),
    instance: parseNumber(body.instance) ?? 0,
    lastAccessDate: parseDate(body.lastAccessDate),
    registrationId: body.id ?? registrationId,
    score: parseNumber(body.score?.scaled),
    source: 'api',
    success: (SUCCESS.has(success) ? success : 'UNKNOWN') as SuccessStatus,
    totalSeconds: seconds === null ? null : Math.round(seconds),
    updated: parseDate(body.updated),
  };
}
