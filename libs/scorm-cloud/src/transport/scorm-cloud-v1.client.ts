import { ConflictError, DomainError, GatewayMetrics, NotFoundError } from '@app/common';
import { AppConfigService } from '@app/config';
import { HttpService } from '@nestjs/axios';
import { Injectable, Logger } from '@nestjs/common';
import { AxiosRequestConfig } from 'axios';
import { XMLParser } from 'fast-xml-parser';
import FormData from 'form-data';

import type {
  CompletionStatus,
  RegistrationProgressUpdate,
  SuccessStatus,
} from '../registrations/registration-progress.types';
import { RegistrationOwner, adoptEarlierCreate } from './registration-adoption';
import { ScormCloudV1Signer, V1Params } from './scorm-cloud-v1.signer';
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

type XmlNode = Record<string, unknown>;

/** A `<rsp stat="fail"><err code msg/></rsp>` answer. */
export class ScormCloudV1Failure extends Error {
  constructor(
    readonly code: number,
    readonly msg: string,
  ) {
    super(`SCORM Cloud v1 error ${code}: ${msg}`);
  }
}

const parser = new XMLParser({
  attributeNamePrefix: '@_',
  ignoreAttributes: false,
  isArray: (name) => ['course', 'importresult', 'instance', 'registration'].includes(name),
  parseAttributeValue: false,
  parseTagValue: false,
  processEntities: true,
  trimValues: true,
});

/** Parses a v1 answer: returns the `<rsp>` element on `stat="ok"`, throws ScormCloudV1Failure on `stat="fail"`. */
export function parseV1Response(xml: string): XmlNode {
  let document: XmlNode;
  try {
    document = parser.parse(xml.replace(/^\uFEFF/, '')) as XmlNode;
  } catch {
    throw new ScormCloudV1Failure(-1, 'the answer is not XML');
  }
  const rsp = document.rsp as XmlNode | undefined;
  if (!rsp || typeof rsp !== 'object') throw new ScormCloudV1Failure(-1, 'the answer has no <rsp> element');
  if (rsp['@_stat'] === 'ok') return rsp;
  const err = (Array.isArray(rsp.err) ? rsp.err[0] : rsp.err) as XmlNode | undefined;
  if (rsp['@_stat'] === 'fail' && err && typeof err === 'object') {
    const code = Number(err['@_code']);
    throw new ScormCloudV1Failure(Number.isFinite(code) ? code : -1, String(err['@_msg'] ?? 'no message'));
  }
  throw new ScormCloudV1Failure(-1, `unexpected <rsp stat="${String(rsp['@_stat'])}">`);
}

/** v1 codes (docs/sources.md): 1 not found, 2 exists, 100-104 app id/signature, 107 timestamp, 300 v1 refused. */
export function mapV1Failure(failure: ScormCloudV1Failure, what: string): DomainError {
  const { code, msg } = failure;
  if (code === 1) return new NotFoundError('SCORM_CLOUD_NOT_FOUND', `SCORM Cloud has no ${what}`);
  if (code === 2) return new ConflictError('SCORM_CLOUD_CONFLICT', `SCORM Cloud says the ${what} already exists`);
  if (code === 300) {
    return new DomainError(
      'SCORM_CLOUD_V1_REFUSED',
      `SCORM Cloud refuses the v1 API for this account (error 300: ${msg}); set SCORM_CLOUD_API=v2`,
      'upstream_rejected',
    );
  }
  if (code === 100 || code === 102 || code === 103 || code === 104) {
    return new ScormCloudRejectedError(`v1 error ${code}: ${msg}`);
  }
  if (code === 107) {
    return new ScormCloudRejectedError(`v1 error 107, our timestamp is outside SCORM Cloud's 15 minutes: ${msg}`);
  }
  if (code === -1) {
    return new ScormCloudUnavailableError(
      'SCORM_CLOUD_MALFORMED_RESPONSE',
      `SCORM Cloud sent an unexpected answer: ${msg}`,
    );
  }
  return new DomainError(
    'SCORM_CLOUD_BAD_REQUEST',
    `SCORM Cloud refused the ${what} request (error ${code}: ${msg})`,
    'upstream_bad_request',
  );
}

const TIMESTAMP_ERROR = 107;
/** A signed v1 URL is honoured for 15 minutes after its `ts` (the v1 spec). */
const V1_URL_VALIDITY_MS = 15 * 60_000;
const UPLOAD_TIMEOUT_MS = 10 * 60_000;

const text = (value: unknown): string =>
  value === undefined || value === null
    ? ''
    : typeof value === 'object'
      ? String((value as XmlNode)['#text'] ?? '')
      : String(value);

/**
 * SCORM Cloud's signed v1 API (the v1 spec), behind the same transport interface as v2. Every authenticated call is
 * a POST of an application/x-www-form-urlencoded body signed over the same parameters ("An API call is a GET or
 * POST", the v1 spec), so secrets such as createRegistration's urlpass never sit in a URL that proxies and access
 * logs keep. Only the course upload (multipart: the file is the body) and the browser's launch URL carry parameters
 * in a URL.
 */
@Injectable()
export class ScormCloudV1Client implements ScormCloudTransport {
  private readonly logger = new Logger(ScormCloudV1Client.name);
  private readonly defaults: AxiosRequestConfig;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private clockChecked = false;

  constructor(
    private readonly http: HttpService,
    config: AppConfigService,
    private readonly signer: ScormCloudV1Signer,
    private readonly metrics: GatewayMetrics,
  ) {
    ({ baseUrl: this.baseUrl, timeoutMs: this.timeoutMs } = config.scormCloud);
    this.defaults = {
      maxRedirects: 0,
      responseType: 'text',
      timeout: this.timeoutMs,
      transformResponse: (data: unknown) => data,
      validateStatus: () => true,
    };
  }

  /** SCORM Cloud's clock (`rustici.debug.getTime`, unauthenticated). */
  async getTime(): Promise<Date> {
    const rsp = await this.unauthenticated('rustici.debug.getTime');
    const value = text(rsp.currenttime);
    const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value);
    if (!match) throw mapV1Failure(new ScormCloudV1Failure(-1, `getTime answered "${value}"`), 'time');
    const [, y, mo, d, h, mi, s] = match.map(Number);
    return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  }

  async listCourses(): Promise<ScormCourse[]> {
    const rsp = await this.call({ method: 'rustici.course.getCourseList' }, 'course list');
    const courses = ((rsp.courselist as XmlNode | undefined)?.course as XmlNode[] | undefined) ?? [];
    return courses.map((course) => ({
      id: String(course['@_id'] ?? ''),
      learningStandard: null,
      registrationCount: parseNumber(course['@_registrations']),
      title: String(course['@_title'] ?? ''),
      updated: null,
      version: parseNumber(course['@_versions']),
    }));
  }

  private async courseExists(courseId: string): Promise<boolean> {
    const rsp = await this.call({ courseid: courseId, method: 'rustici.course.exists' }, `course ${courseId}`);
    return text(rsp.result) === 'true';
  }

  async deleteCourse(courseId: string): Promise<void> {
    await this.call({ courseid: courseId, method: 'rustici.course.deleteCourse' }, `course ${courseId}`);
  }

  async startImport(upload: CourseUpload): Promise<{ jobId: string }> {
    // The zip stream cannot be sent twice, so learn SCORM Cloud's clock before the first upload instead of after a 107.
    if (!this.clockChecked) await this.syncClock().catch(() => undefined);
    // v1's importCourseAsync has no version parameter: an existing course id always gets a new version (v1
    // reference, "Versioning"). So a caller who did not ask for one is refused here, as v2 refuses it itself.
    if (!upload.mayCreateNewVersion && (await this.courseExists(upload.courseId))) {
      throw new ConflictError(
        'SCORM_CLOUD_CONFLICT',
        `SCORM Cloud says the course ${upload.courseId} already exists (pass may_create_new_version=true for a new version)`,
      );
    }
    const form = new FormData();
    form.append('filedata', upload.file, {
      contentType: 'application/zip',
      filename: upload.filename,
      ...(upload.size !== undefined ? { knownLength: upload.size } : {}),
    });
    const rsp = await this.call(
      { courseid: upload.courseId, method: 'rustici.course.importCourseAsync' },
      'course import',
      { data: form, headers: form.getHeaders(), maxBodyLength: Infinity, method: 'POST', timeout: UPLOAD_TIMEOUT_MS },
      false,
    );
    const jobId = text((rsp.token as XmlNode | undefined)?.id);
    if (!jobId) throw mapV1Failure(new ScormCloudV1Failure(-1, 'the import answer has no token id'), 'course import');
    return { jobId };
  }

  async importJob(jobId: string): Promise<ImportJob> {
    const rsp = await this.call({ method: 'rustici.course.getAsyncImportResult', token: jobId }, `import job ${jobId}`);
    const status = text(rsp.status).toLowerCase();
    const results = ((rsp.importresults as XmlNode | undefined)?.importresult as XmlNode[] | undefined) ?? [];
    const first = results[0];
    return {
      courseId: null,
      jobId,
      message: text(rsp.error) || text(first?.message) || null,
      status: status === 'finished' ? 'COMPLETE' : status === 'error' ? 'ERROR' : 'RUNNING',
      title: text(first?.title) || text(rsp.title) || null,
    };
  }

  async createRegistration(registration: NewRegistration): Promise<void> {
    const id = registration.registrationId;
    try {
      await this.call(
        {
          authtype: 'form',
          courseid: registration.courseId,
          fname: registration.learner.firstName,
          learnerid: registration.learner.id,
          lname: registration.learner.lastName,
          method: 'rustici.registration.createRegistration',
          postbackurl: registration.postback.url,
          regid: id,
          resultsformat: 'course',
          urlname: registration.postback.username,
          urlpass: registration.postback.password,
        },
        `registration ${id}`,
      );
    } catch (error) {
      // Error 2: the id exists. Error 1 (no such course) and the rest are answered as they are.
      if (!(error instanceof ConflictError)) throw error;
      await adoptEarlierCreate(
        error,
        registration,
        () => this.registrationOwner(id, registration.courseId),
        this.logger,
      );
    }
  }

  async registrationProgress(registrationId: string): Promise<RegistrationProgressUpdate> {
    const rsp = await this.call(
      { method: 'rustici.registration.getRegistrationResult', regid: registrationId, resultsformat: 'course' },
      `registration ${registrationId}`,
    );
    const report = rsp.registrationreport as XmlNode | undefined;
    if (!report) throw mapV1Failure(new ScormCloudV1Failure(-1, 'no <registrationreport>'), 'registration result');
    return v1ReportToProgress(registrationId, report);
  }

  /**
   * v1 has no single-registration read that names its learner: the course's registration list does
   * (`courseid`, an exact filter in Rustici's .NET library).
   */
  private async registrationOwner(registrationId: string, courseId: string): Promise<RegistrationOwner | null> {
    const rsp = await this.call(
      { courseid: courseId, method: 'rustici.registration.getRegistrationList' },
      'registration list',
    );
    const list = rsp.registrationlist;
    if (list === undefined) {
      throw mapV1Failure(new ScormCloudV1Failure(-1, 'no <registrationlist>'), 'registration list');
    }
    // An empty <registrationlist/> parses to an empty string.
    const items =
      typeof list === 'object' && list ? ((list as XmlNode).registration as XmlNode[] | undefined) : undefined;
    const found = (items ?? []).find((item) => String(item['@_id'] ?? text(item.registrationId)) === registrationId);
    return found
      ? { courseId: String(found['@_courseid'] ?? text(found.courseId)), learnerId: text(found.learnerId) }
      : null;
  }

  async deleteRegistration(registrationId: string): Promise<void> {
    await this.call(
      { method: 'rustici.registration.deleteRegistration', regid: registrationId },
      `registration ${registrationId}`,
    );
  }

  async resetRegistration(registrationId: string): Promise<void> {
    await this.call(
      { method: 'rustici.registration.resetRegistration', regid: registrationId },
      `registration ${registrationId}`,
    );
  }

  /** v1 has no learner deletion: the learner's registrations (and with them their data there) are deleted. */
  async eraseLearner(_learnerId: string, registrationIds: string[]) {
    const counts = await deleteRegistrationsUpstream(registrationIds, (id) => this.deleteRegistration(id));
    return {
      api: 'v1' as const,
      ...counts,
      request: 'rustici.registration.deleteRegistration',
      status: 'deleted' as const,
    };
  }

  private async registrationExists(registrationId: string): Promise<boolean> {
    const rsp = await this.call(
      { method: 'rustici.registration.exists', regid: registrationId },
      `registration ${registrationId}`,
    );
    return text(rsp.result) === 'true';
  }

  /**
   * A signed `rustici.registration.launch` URL for the browser; like every signed v1 URL it is valid 15 minutes.
   * The URL is built here, so SCORM Cloud is asked first whether it still has the registration: otherwise a
   * registration deleted there would only fail in the learner's browser.
   */
  async launchLink(registrationId: string, request: LaunchRequest): Promise<LaunchLink> {
    if (!this.clockChecked) await this.syncClock().catch(() => undefined);
    if (!(await this.registrationExists(registrationId))) {
      throw new NotFoundError('SCORM_CLOUD_NOT_FOUND', `SCORM Cloud has no registration ${registrationId}`);
    }
    const query = this.signer.signedQuery({
      method: 'rustici.registration.launch',
      regid: registrationId,
      ...(request.redirectUrl ? { redirecturl: request.redirectUrl } : {}),
    });
    return {
      expiresAt: new Date(this.signer.now().getTime() - this.signer.clockOffsetMs + V1_URL_VALIDITY_MS),
      url: `${this.baseUrl}?${query}`,
    };
  }

  /** Reads SCORM Cloud's clock and keeps the difference, so later `ts` values fall inside its 15 minutes. */
  async syncClock(): Promise<number> {
    const before = Date.now();
    const serverTime = await this.getTime();
    const localMidpoint = this.signer.now().getTime() - this.signer.clockOffsetMs - (Date.now() - before) / 2;
    const offset = serverTime.getTime() - localMidpoint;
    // getTime has one-second resolution: ignore differences that small.
    this.signer.setClockOffset(Math.abs(offset) < 2000 ? 0 : offset);
    this.clockChecked = true;
    return this.signer.clockOffsetMs;
  }

  private async unauthenticated(method: string): Promise<XmlNode> {
    const body = await this.send(`${this.baseUrl}?${new URLSearchParams({ method }).toString()}`, {}, method, method);
    return this.parse(body, method);
  }

  private async call(
    params: V1Params,
    what: string,
    options: AxiosRequestConfig = {},
    replayable = true,
  ): Promise<XmlNode> {
    for (let attempt = 1; ; attempt++) {
      const signed = new URLSearchParams(this.signer.sign(params)).toString();
      // A multipart upload's body is the file, so its (secret-free) parameters go in the query string.
      const body =
        options.data !== undefined
          ? await this.send(`${this.baseUrl}?${signed}`, { method: 'POST', ...options }, what, params.method)
          : await this.send(
              this.baseUrl,
              {
                ...options,
                data: signed,
                headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
                method: 'POST',
              },
              what,
              params.method,
            );
      try {
        return parseV1Response(body);
      } catch (error) {
        if (!(error instanceof ScormCloudV1Failure)) throw error;
        if (error.code === TIMESTAMP_ERROR && attempt === 1 && replayable) {
          const offset = await this.syncClock();
          this.logger.warn(`SCORM Cloud's clock differs from ours by ${Math.round(offset / 1000)} s; retrying once`);
          continue;
        }
        throw mapV1Failure(error, what);
      }
    }
  }

  private parse(body: string, what: string): XmlNode {
    try {
      return parseV1Response(body);
    } catch (error) {
      if (error instanceof ScormCloudV1Failure) throw mapV1Failure(error, what);
      throw error;
    }
  }

  /** `method`: the v1 API method (rustici.course.exists), the operation its metrics are labelled with. */
  private async send(url: string, options: AxiosRequestConfig, what: string, method: string): Promise<string> {
    let status: number;
    let data: unknown;
    try {
      ({ data, status } = await this.metrics.timeUpstream('scorm_cloud', method, () =>
        this.http.axiosRef.request({ ...this.defaults, method: 'GET', ...options, url }),
      ));
    } catch (error) {
      throw scormCloudTransportError(error, (options.timeout as number | undefined) ?? this.timeoutMs);
    }
    // v1 answers errors as 200 + <rsp stat="fail">; any other status is the service itself failing.
    if (status >= 500 || (status >= 300 && status !== 400)) {
      throw new ScormCloudUnavailableError(
        'SCORM_CLOUD_UNAVAILABLE',
        `SCORM Cloud answered HTTP ${status} for the ${what}`,
      );
    }
    return typeof data === 'string' ? data : String(data ?? '');
  }
}

const V1_COMPLETION: Record<string, CompletionStatus> = {
  complete: 'COMPLETED',
  completed: 'COMPLETED',
  incomplete: 'INCOMPLETE',
};
const V1_SUCCESS: Record<string, SuccessStatus> = { failed: 'FAILED', passed: 'PASSED' };

/**
 * A `<registrationreport format="course">`: complete/success words, score 0-100 or "unknown", totaltime seconds.
 * It carries no update time: the projection orders it by when the read began, on the gateway's clock like the
 * (equally untimed) v1 postbacks, never by SCORM Cloud's.
 */
export function v1ReportToProgress(registrationId: string, report: XmlNode): RegistrationProgressUpdate {
  const score = text(report.score);
  const seconds = parseNumber(text(report.totaltime));
  const completion = V1_COMPLETION[text(report.complete).toLowerCase()] ?? 'UNKNOWN';
  return {
    completedDate: null,
    completion,
    firstAccessDate: null,
    instance: parseNumber(report['@_instanceid']) ?? 0,
    lastAccessDate: parseDate(text(report.lastaccess)),
    registrationId: String(report['@_regid'] ?? registrationId),
    score: score === '' || score.toLowerCase() === 'unknown' ? null : parseNumber(score),
    source: 'api',
    success: V1_SUCCESS[text(report.success).toLowerCase()] ?? 'UNKNOWN',
    totalSeconds: seconds === null ? null : Math.round(seconds),
    updated: null,
  };
}
