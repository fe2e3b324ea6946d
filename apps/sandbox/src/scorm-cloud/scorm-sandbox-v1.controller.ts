import { All, Controller, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';

import { v1RegistrationReport } from './scorm-sandbox.postback';
import { readUploadedFile } from './scorm-sandbox.upload';
import { ScormSandboxStore } from './scorm-sandbox.store';
import { manifestTitle } from './scorm-sandbox.zip';

/** A v1 `<rsp stat="fail">`, with SCORM Cloud's error codes. */
class V1Error extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const TS_WINDOW_MS = 15 * 60_000;
const UNAUTHENTICATED = new Set(['rustici.debug.getTime', 'rustici.debug.ping']);

/**
 * Every call carries method, appid, ts and sig (the v1 spec's "Communication Format"); Rustici's own v1
 * libraries also send origin (.NET, PHP: SCORMCloud_NetLibrary ServiceRequest.cs, SCORMCloud_PHPLibrary
 * ServiceRequest.php) and applib (Java, .NET, PHP) with every call, so the service accepts those too.
 */
const COMMON_PARAMETERS = ['appid', 'applib', 'method', 'origin', 'sig', 'ts'];

/**
 * The parameters each v1 method documents, in their exact case; any other name is refused. Sources: the v1
 * reference (cloud.scorm.com/docs/api_reference/v1: "Required/Optional Arguments") and Rustici's v1 libraries
 * where the reference is silent (SCORMCloud_JavaLibrary, SCORMCloud_NetLibrary, SCORMCloud_PHPLibrary,
 * SCORMCloud_PythonLibrary: CourseService, RegistrationService). Where the libraries spell a name two ways, both are
 * listed.
 */
const METHOD_PARAMETERS: Record<string, readonly string[]> = {
  // Debug service: no arguments (reference; DebugService in every library).
  'rustici.debug.authPing': [],
  'rustici.debug.getTime': [],
  'rustici.debug.ping': [],
  // Reference: courseid. Libraries: versionid (Java, .NET DeleteCourseVersion), email (Java).
  'rustici.course.deleteCourse': ['courseid', 'email', 'versionid'],
  // Reference: courseid (Java/.NET/PHP/Python Exists).
  'rustici.course.exists': ['courseid'],
  // Reference: token (every library's GetAsyncImportResult).
  'rustici.course.getAsyncImportResult': ['token'],
  // Reference: filter, tags (Java GetCourseList; .NET, PHP, Python send filter).
  'rustici.course.getCourseList': ['filter', 'tags'],
  // Reference: courseid; optional redirecturl, email, culture, itemid. Libraries: pd, finalize (Java, .NET).
  // No version parameter: importing an existing course id makes a new version (reference, "Versioning").
  'rustici.course.importCourseAsync': ['courseid', 'culture', 'email', 'finalize', 'itemid', 'pd', 'redirecturl'],
  // Reference: courseid, regid, fname, lname, learnerid; optional email, postbackurl, authtype, urlname, urlpass,
  // resultsformat. Libraries: versionid (Java, .NET), learnerTags, courseTags, registrationTags (Java, .NET, Python).
  'rustici.registration.createRegistration': [
    'authtype',
    'courseTags',
    'courseid',
    'email',
    'fname',
    'learnerTags',
    'learnerid',
    'lname',
    'postbackurl',
    'regid',
    'registrationTags',
    'resultsformat',
    'urlname',
    'urlpass',
    'versionid',
  ],
  // Reference: regid. Library: instanceid (.NET DeleteRegistrationInstance).
  'rustici.registration.deleteRegistration': ['instanceid', 'regid'],
  // Reference: regid (every library's Exists).
  'rustici.registration.exists': ['regid'],
  // Libraries: filter, coursefilter (Java, .NET, Python); courseid (exact), after, until (.NET GetRegistrationList).
  'rustici.registration.getRegistrationList': ['after', 'courseid', 'coursefilter', 'filter', 'until'],
  // Reference: regid; optional resultsformat, format (Java), dataformat (.NET).
  'rustici.registration.getRegistrationResult': ['dataformat', 'format', 'regid', 'resultsformat'],
  // Reference: regid; optional redirecturl, cssurl, saveDebugLogPointerUrl, disableTracking, learnerTags, courseTags,
  // registrationTags (Java GetLaunchUrl); the Python library spells learnertags and coursetags in lower case.
  'rustici.registration.launch': [
    'courseTags',
    'coursetags',
    'cssurl',
    'disableTracking',
    'learnerTags',
    'learnertags',
    'redirecturl',
    'regid',
    'registrationTags',
    'saveDebugLogPointerUrl',
  ],
  // Reference: regid (every library's ResetRegistration).
  'rustici.registration.resetRegistration': ['regid'],
};

/** The v1 reference's enumerated values, lower case as documented; sent in another case they are refused. */
const AUTH_TYPES = ['form', 'httpbasic'];
const RESULTS_FORMATS = ['course', 'activity', 'full'];

const esc = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function ts(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function parseTs(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

/** The sandbox's own reading of the v1 signature rule (the v1 spec), independent of the gateway's signer. */
function expectedSig(secret: string, params: Record<string, string>): string {
  const keys = Object.keys(params).filter((k) => k !== 'sig');
  keys.sort((a, b) => {
    const [x, y] = [a.toLowerCase(), b.toLowerCase()];
    return x === y ? 0 : x < y ? -1 : 1;
  });
  const md5 = createHash('md5');
  md5.update(secret, 'utf8');
  for (const k of keys) md5.update(k + params[k], 'utf8');
  return md5.digest('hex');
}

/** A subset of SCORM Cloud's signed v1 API on `/scorm/api?method=…`, answering XML. */
@Controller('scorm/api')
export class ScormSandboxV1Controller {
  constructor(private readonly store: ScormSandboxStore) {}

  @All()
  async api(@Req() req: Request, @Res() res: Response): Promise<void> {
    const params: Record<string, string> = {};
    for (const [key, value] of new URL(req.originalUrl, 'http://sandbox').searchParams) params[key] = value;
    if (req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body)) {
      for (const [key, value] of Object.entries(req.body as Record<string, unknown>)) {
        if (typeof value === 'string') params[key] = value;
      }
    }
    try {
      const method = params.method ?? '';
      const allowed = METHOD_PARAMETERS[method];
      if (!allowed) throw new V1Error(101, `Invalid or unknown method: ${method || '(none)'}`);
      const appId = UNAUTHENTICATED.has(method) ? '' : this.verify(params);
      const unknown = Object.keys(params).filter((k) => !allowed.includes(k) && !COMMON_PARAMETERS.includes(k));
      if (unknown.length) {
        throw new V1Error(
          4,
          `The parameter ${unknown.join(', ')} is not an argument of ${method} (names are case-sensitive)`,
        );
      }
      if (method === 'rustici.registration.launch') {
        res.redirect(302, this.launch(appId, params));
        return;
      }
      const inner = await this.dispatch(method, appId, params, req);
      this.xml(res, `<rsp stat="ok">${inner}</rsp>`);
    } catch (error) {
      req.resume();
      const e = error instanceof V1Error ? error : new V1Error(100, 'General error');
      this.xml(res, `<rsp stat="fail">\n  <err code="${e.code}" msg="${esc(e.message)}"/>\n</rsp>`);
    }
  }

  private xml(res: Response, body: string): void {
    res.status(200).type('text/xml; charset=utf-8').send(`<?xml version="1.0" encoding="utf-8" ?>\n${body}`);
  }

  private verify(params: Record<string, string>): string {
    const secret = this.store.config.scormCloud.apps[params.appid ?? ''];
    if (!params.appid || !secret) throw new V1Error(100, 'Invalid or missing application id (appid)');
    if (!params.sig) throw new V1Error(103, 'Request signature (sig param) missing');
    const sent = parseTs(params.ts ?? '');
    if (sent === undefined || Math.abs(this.store.now().getTime() - sent) > TS_WINDOW_MS) {
      throw new V1Error(
        107,
        'Timestamp sent is outside of expiration limit. Likely cause: requesting server clock has drifted. Please sync requesting server time to NTP time.',
      );
    }
    const expected = Buffer.from(expectedSig(secret, params));
    const given = Buffer.from(params.sig.toLowerCase());
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new V1Error(
        104,
        'The signature attached to the call does not match the signature generated on the server.',
      );
    }
    return params.appid;
  }

  private launch(appId: string, params: Record<string, string>): string {
    const registration = this.store.registration(appId, params.regid ?? '');
    if (!registration) throw new V1Error(1, `The registration ${params.regid ?? ''} does not exist`);
    return this.store.playerUrl(this.store.createLaunch(registration, 15 * 60, params.redirecturl || undefined));
  }

  private async dispatch(method: string, appId: string, p: Record<string, string>, req: Request): Promise<string> {
    switch (method) {
      case 'rustici.debug.getTime':
        return `<currenttime tz="UTC">${ts(this.store.now())}</currenttime>`;
      case 'rustici.debug.ping':
      case 'rustici.debug.authPing':
        return '<pong />';
      case 'rustici.course.getCourseList':
        return `<courselist>${this.store
          .coursesOf(appId)
          .map(
            (c) =>
              `<course id="${esc(c.id)}" title="${esc(c.title)}" versions="${c.version}" registrations="${
                [...this.store.registrations.values()].filter((r) => r.appId === appId && r.courseId === c.id).length
              }" size="${c.size}" />`,
          )
          .join('')}</courselist>`;
      case 'rustici.course.exists':
        return `<result>${Boolean(this.store.course(appId, this.need(p, 'courseid')))}</result>`;
      case 'rustici.course.deleteCourse':
        if (!this.store.deleteCourse(appId, this.need(p, 'courseid'))) {
          throw new V1Error(1, `The course ${p.courseid} does not exist`);
        }
        return '<success />';
      case 'rustici.course.importCourseAsync': {
        // An existing course id gets a new version (v1 reference, "Versioning"); there is no parameter to refuse it.
        const courseId = this.need(p, 'courseid');
        const file = await readUploadedFile(req);
        if (!file || !file.data.length) throw new V1Error(4, 'A course zip must be posted as multipart form data');
        return `<token><id>${this.store.startImport(appId, courseId, file.data.length, manifestTitle(file.data))}</id></token>`;
      }
      case 'rustici.course.getAsyncImportResult': {
        const job = this.store.job(appId, this.need(p, 'token'));
        if (!job) throw new V1Error(1, `The import token ${p.token} does not exist`);
        const status = job.status === 'COMPLETE' ? 'finished' : job.status === 'ERROR' ? 'error' : 'running';
        const result =
          job.status === 'RUNNING'
            ? ''
            : `<importresults><importresult successful="${job.status === 'COMPLETE'}"><title>${esc(job.title ?? '')}</title><message>${esc(
                job.error ?? 'Import successful',
              )}</message></importresult></importresults>`;
        return `<status>${status}</status>${job.error && job.status === 'ERROR' ? `<error>${esc(job.error)}</error>` : ''}${result}`;
      }
      case 'rustici.registration.createRegistration': {
        const regid = this.need(p, 'regid');
        const courseId = this.need(p, 'courseid');
        if (!this.store.course(appId, courseId)) throw new V1Error(1, `The course ${courseId} does not exist`);
        if (this.store.registration(appId, regid)) throw new V1Error(2, `The registration ${regid} already exists`);
        const authType = this.oneOf(p, 'authtype', AUTH_TYPES) ?? 'form';
        const resultsFormat = this.oneOf(p, 'resultsformat', RESULTS_FORMATS) ?? 'course';
        this.store.addRegistration({
          appId,
          courseId,
          id: regid,
          learner: { firstName: this.need(p, 'fname'), id: this.need(p, 'learnerid'), lastName: this.need(p, 'lname') },
          postback: p.postbackurl
            ? {
                api: 'v1',
                authType,
                password: p.urlpass ?? '',
                resultsFormat,
                url: p.postbackurl,
                userName: p.urlname ?? '',
              }
            : undefined,
        });
        return '<success />';
      }
      case 'rustici.registration.exists':
        return `<result>${Boolean(this.store.registration(appId, this.need(p, 'regid')))}</result>`;
      case 'rustici.registration.getRegistrationResult':
        this.oneOf(p, 'resultsformat', RESULTS_FORMATS);
        return v1RegistrationReport(this.requireRegistration(appId, p));
      case 'rustici.registration.getRegistrationList':
        return `<registrationlist>${[...this.store.registrations.values()]
          .filter((r) => r.appId === appId && (!p.courseid || r.courseId === p.courseid))
          .map(
            (r) =>
              `<registration id="${esc(r.id)}" courseid="${esc(r.courseId)}"><appId>${esc(appId)}</appId>` +
              `<registrationId>${esc(r.id)}</registrationId><courseId>${esc(r.courseId)}</courseId>` +
              `<learnerId>${esc(r.learner.id)}</learnerId><learnerFirstName>${esc(r.learner.firstName)}</learnerFirstName>` +
              `<learnerLastName>${esc(r.learner.lastName)}</learnerLastName></registration>`,
          )
          .join('')}</registrationlist>`;
      case 'rustici.registration.deleteRegistration':
        this.requireRegistration(appId, p);
        this.store.deleteRegistration(appId, p.regid);
        return '<success />';
      case 'rustici.registration.resetRegistration':
        this.store.resetRegistration(this.requireRegistration(appId, p));
        return '<success />';
      default:
        throw new V1Error(101, `Invalid or unknown method: ${method}`);
    }
  }

  private oneOf(p: Record<string, string>, key: string, values: string[]): string | undefined {
    const value = p[key];
    if (value !== undefined && !values.includes(value)) {
      throw new V1Error(4, `The parameter ${key} must be one of ${values.join(', ')}, got "${value}"`);
    }
    return value;
  }

  private need(p: Record<string, string>, key: string): string {
    const value = p[key];
    if (!value) throw new V1Error(4, `The parameter ${key} is required`);
    return value;
  }

  private requireRegistration(appId: string, p: Record<string, string>) {
    const registration = this.store.registration(appId, this.need(p, 'regid'));
    if (!registration) throw new V1Error(1, `The registration ${p.regid} does not exist`);
    return registration;
  }
}
