import { Body, Controller, Delete, Get, Head, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';

import { v2RegistrationJson } from './scorm-sandbox.postback';
import { readUploadedFile } from './scorm-sandbox.upload';
import { ScormSandboxStore } from './scorm-sandbox.store';
import { manifestTitle } from './scorm-sandbox.zip';
import { ContractOperation, ContractViolation, ScormV2Contract } from './scorm-v2-contract';

/** How long after the answer the sandbox erases a learner's data (SCORM Cloud's deletion is asynchronous). */
const LEARNER_ERASURE_DELAY_MS = 100;
/** Pages are small on purpose, so a client's `more` paging really runs against the sandbox. */
const COURSE_PAGE_SIZE = 2;

class V2Error extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

type Json = Record<string, unknown>;

/**
 * A subset of SCORM Cloud's REST API v2 (HTTP Basic appId:secretKey, JSON). Every request is first held to the
 * official definition (ScormV2Contract): an unknown query parameter or body field, a missing required field, a
 * wrong type or an enum value in another case is a 400 `{message}` naming it, and nothing is normalised.
 */
@Controller('scorm/api/v2')
export class ScormSandboxV2Controller {
  constructor(
    private readonly store: ScormSandboxStore,
    private readonly contract: ScormV2Contract,
  ) {}

  @Get('ping')
  ping(@Req() req: Request, @Res() res: Response) {
    this.handle(req, res, () => ({ apiMessage: 'pong', currentTime: this.store.now().toISOString() }));
  }

  @Get('courses')
  courses(
    @Req() req: Request,
    @Res() res: Response,
    @Query('more') more?: string,
    @Query('includeRegistrationCount') withCount?: string,
  ) {
    this.handle(req, res, (appId) => {
      const all = this.store.coursesOf(appId);
      const start = more ? Number(Buffer.from(more, 'base64url').toString()) : 0;
      if (!Number.isInteger(start) || start < 0) throw new V2Error(400, 'more token is invalid');
      const page = all.slice(start, start + COURSE_PAGE_SIZE);
      const next =
        start + COURSE_PAGE_SIZE < all.length
          ? Buffer.from(String(start + COURSE_PAGE_SIZE)).toString('base64url')
          : undefined;
      return {
        courses: page.map((c) => this.courseJson(c, withCount === 'true')),
        ...(next ? { more: next } : {}),
      };
    });
  }

  @Get('courses/importJobs/:jobId')
  importJob(@Req() req: Request, @Res() res: Response, @Param('jobId') jobId: string) {
    this.handle(req, res, (appId) => {
      const job = this.store.job(appId, jobId);
      if (!job) throw new V2Error(404, `Import job ${jobId} not found`);
      const course = this.store.course(appId, job.courseId);
      return {
        jobId: job.id,
        status: job.status,
        ...(job.status === 'ERROR' ? { message: job.error } : {}),
        ...(job.status === 'COMPLETE' && course ? { importResult: { course: this.courseJson(course, false) } } : {}),
      };
    });
  }

  @Post('courses/importJobs/upload')
  async upload(
    @Req() req: Request,
    @Res() res: Response,
    @Query('courseId') courseId?: string,
    @Query('mayCreateNewVersion') mayCreateNewVersion?: string,
  ) {
    await this.handleAsync(req, res, async (appId, op) => {
      if (this.store.course(appId, courseId ?? '') && mayCreateNewVersion !== 'true') {
        req.resume();
        throw new V2Error(409, `Course ${courseId} already exists and mayCreateNewVersion is false`);
      }
      const file = await readUploadedFile(req);
      if (!file || !file.data.length) throw new V2Error(400, 'A multipart file is required');
      if (!op.formParams.includes(file.field)) {
        throw new V2Error(400, `${op.name}: unknown form field "${file.field}" (allowed: ${op.formParams.join(', ')})`);
      }
      return {
        result: this.store.startImport(appId, courseId ?? '', file.data.length, manifestTitle(file.data)),
      };
    });
  }

  @Get('courses/:id')
  course(
    @Req() req: Request,
    @Res() res: Response,
    @Param('id') id: string,
    @Query('includeRegistrationCount') withCount?: string,
  ) {
    this.handle(req, res, (appId) => this.courseJson(this.requireCourse(appId, id), withCount === 'true'));
  }

  @Delete('courses/:id')
  deleteCourse(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    this.handle(req, res, (appId) => {
      if (!this.store.deleteCourse(appId, id)) throw new V2Error(404, `Course ${id} not found`);
      return undefined;
    });
  }

  @Post('registrations')
  createRegistration(@Req() req: Request, @Res() res: Response, @Body() body: Json) {
    this.handle(req, res, (appId) => {
      // The definition has already checked shape, types and enum case; what is left is SCORM Cloud's own state.
      // createRegistration documents only 400 for a refused create (409 belongs to course import).
      const courseId = body.courseId as string;
      const id = body.registrationId as string;
      const learner = body.learner as Json;
      const postBack = body.postBack as Json | undefined;
      if (!this.store.course(appId, courseId)) throw new V2Error(400, `Course ${courseId} does not exist`);
      if (this.store.registration(appId, id)) throw new V2Error(400, `Registration ${id} already exists`);
      this.store.addRegistration({
        appId,
        courseId,
        id,
        learner: {
          firstName: (learner.firstName as string | undefined) ?? '',
          id: learner.id as string,
          lastName: (learner.lastName as string | undefined) ?? '',
        },
        postback:
          typeof postBack?.url === 'string' && postBack.url
            ? {
                api: 'v2',
                authType: (postBack.authType as string | undefined) ?? 'UNDEFINED',
                password: (postBack.password as string | undefined) ?? '',
                resultsFormat: (postBack.resultsFormat as string | undefined) ?? 'UNDEFINED',
                url: postBack.url,
                userName: (postBack.userName as string | undefined) ?? '',
              }
            : undefined,
      });
      return undefined;
    });
  }

  @Head('registrations/:id')
  registrationExists(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    this.handle(req, res, (appId) => {
      this.requireRegistration(appId, id);
      return undefined;
    });
  }

  @Get('registrations/:id')
  registration(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    this.handle(req, res, (appId) => v2RegistrationJson(this.store, this.requireRegistration(appId, id)));
  }

  @Delete('registrations/:id/progress')
  resetRegistration(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    this.handle(req, res, (appId) => {
      this.store.resetRegistration(this.requireRegistration(appId, id));
      return undefined;
    });
  }

  @Delete('registrations/:id')
  deleteRegistration(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    this.handle(req, res, (appId) => {
      if (!this.store.deleteRegistration(appId, id)) throw new V2Error(404, `Registration ${id} not found`);
      return undefined;
    });
  }

  /**
   * LearnerApi.deleteAllLearnerData: `userEmail` (required, checked by the definition) must be a realm user's primary
   * email. The erasure runs after the answer, as SCORM Cloud documents ("asynchronous ... a delay before the
   * deletion of PII information takes place").
   */
  @Post('learner/:learnerId/delete-information')
  deleteLearnerInformation(@Req() req: Request, @Res() res: Response, @Param('learnerId') learnerId: string) {
    this.handle(req, res, (appId) => {
      const userEmail = String(req.query.userEmail);
      if (!this.store.config.scormCloud.realmUsers.includes(userEmail)) {
        throw new V2Error(400, `userEmail ${userEmail} is not the primary email of a user of this realm`);
      }
      const erasure: (typeof this.store.learnerErasures)[number] = { appId, learnerId, userEmail };
      this.store.learnerErasures.push(erasure);
      setTimeout(() => {
        this.store.eraseLearner(appId, learnerId);
        erasure.erasedAt = new Date();
      }, LEARNER_ERASURE_DELAY_MS).unref();
      return undefined;
    });
  }

  @Post('registrations/:id/launchLink')
  @HttpCode(200)
  launchLink(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Body() body: Json) {
    this.handle(req, res, (appId) => {
      const registration = this.requireRegistration(appId, id);
      // LaunchLinkRequestSchema: expiry defaults to 120 s, range 10-300; redirectOnExitUrl is required.
      const expiry = (body.expiry as number | undefined) ?? 120;
      if (!Number.isInteger(expiry) || expiry < 10 || expiry > 300) {
        throw new V2Error(400, `expiry must be an integer from 10 to 300 seconds, got ${expiry}`);
      }
      const token = this.store.createLaunch(registration, expiry, body.redirectOnExitUrl as string);
      return { launchLink: this.store.playerUrl(token) };
    });
  }

  /** CourseSchema; `registrationCount` only when asked for with includeRegistrationCount=true, as the service does. */
  private courseJson(
    c: { appId: string; id: string; title: string; version: number; created: Date; updated: Date },
    withCount: boolean,
  ) {
    const count = [...this.store.registrations.values()].filter(
      (r) => r.appId === c.appId && r.courseId === c.id,
    ).length;
    return {
      courseLearningStandard: 'SCORM12',
      created: c.created.toISOString(),
      id: c.id,
      ...(withCount ? { registrationCount: count } : {}),
      title: c.title,
      updated: c.updated.toISOString(),
      version: c.version,
    };
  }

  private requireCourse(appId: string, id: string) {
    const course = this.store.course(appId, id);
    if (!course) throw new V2Error(404, `Course ${id} not found`);
    return course;
  }

  private requireRegistration(appId: string, id: string) {
    const registration = this.store.registration(appId, id);
    if (!registration) throw new V2Error(404, `Registration ${id} not found`);
    return registration;
  }

  private authenticate(req: Request): string {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '');
    const decoded = match ? Buffer.from(match[1], 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const appId = colon > 0 ? decoded.slice(0, colon) : '';
    const secret = this.store.config.scormCloud.apps[appId];
    if (!secret || !safeEqual(decoded.slice(colon + 1), secret)) {
      throw new V2Error(401, 'Authentication failed: unknown application id or secret key');
    }
    return appId;
  }

  /** The operation this request is, after holding its query and body to the official definition. */
  private checkContract(req: Request): ContractOperation {
    const url = new URL(req.originalUrl, 'http://sandbox');
    const path = url.pathname.replace(/^\/scorm\/api\/v2/, '') || '/';
    const op = this.contract.operation(req.method, path);
    if (!op) throw new V2Error(404, `The v2 API has no ${req.method} ${path}`);
    const raw = (req as Request & { rawBody?: Buffer }).rawBody;
    const hasBody = /^application\/json\b/i.test(req.headers['content-type'] ?? '') && Boolean(raw?.length);
    try {
      this.contract.check(op, url.searchParams, req.body, hasBody);
    } catch (error) {
      if (error instanceof ContractViolation) throw new V2Error(400, error.message);
      throw error;
    }
    return op;
  }

  private handle(req: Request, res: Response, fn: (appId: string, op: ContractOperation) => unknown): void {
    try {
      const appId = this.authenticate(req);
      this.send(res, fn(appId, this.checkContract(req)));
    } catch (error) {
      this.fail(res, error);
    }
  }

  private async handleAsync(
    req: Request,
    res: Response,
    fn: (appId: string, op: ContractOperation) => Promise<unknown>,
  ): Promise<void> {
    try {
      const appId = this.authenticate(req);
      this.send(res, await fn(appId, this.checkContract(req)));
    } catch (error) {
      req.resume();
      this.fail(res, error);
    }
  }

  private send(res: Response, body: unknown): void {
    if (body === undefined) {
      res.status(res.req.method === 'HEAD' ? 200 : 204).end();
      return;
    }
    res.status(200).json(body);
  }

  private fail(res: Response, error: unknown): void {
    if (error instanceof V2Error) {
      if (error.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="SCORM Cloud sandbox"');
      res.status(error.status).json({ message: error.message });
      return;
    }
    res.status(500).json({ message: 'Sandbox error' });
  }
}
