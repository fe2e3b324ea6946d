import { Body, Controller, Delete, Get, Head, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';

import { v2RegistrationJson } from './scorm-sandbox.postback';
import { readUploadedFile } from './scorm-sandbox.upload';
import { ScormSandboxStore } from './scorm-sandbox.store';
import { manifestTitle } from './scorm-sandbox.zip';

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

/** A subset of SCORM Cloud's REST API v2 (HTTP Basic appId:secretKey, JSON). */
@Controller('scorm/api/v2')
export class ScormSandboxV2Controller {
  constructor(private readonly store: ScormSandboxStore) {}

  @Get('ping')
  ping(@Req() req: Request, @Res() res: Response) {
    this.handle(req, res, () => ({ apiMessage: 'pong', currentTime: this.store.now().toISOString() }));
  }

  @Get('courses')
  courses(@Req() req: Request, @Res() res: Response, @Query('more') more?: string) {
    this.handle(req, res, (appId) => {
      const all = this.store.coursesOf(appId);
      const start = more ? Number(Buffer.from(more, 'base64url').toString()) : 0;
      if (!Number.isInteger(start) || start < 0) throw new V2Error(400, 'more token is invalid');
      const page = all.slice(start, start + COURSE_PAGE_SIZE);
      const next =
        start + COURSE_PAGE_SIZE < all.length
          ? Buffer.from(String(start + COURSE_PAGE_SIZE)).toString('base64url')
          : undefined;
      return { courses: page.map((c) => this.courseJson(c)), ...(next ? { more: next } : {}) };
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
        ...(job.status === 'COMPLETE' && course ? { importResult: { course: this.courseJson(course) } } : {}),
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
    await this.handleAsync(req, res, async (appId) => {
      if (!courseId) throw new V2Error(400, 'courseId is required');
      if (this.store.course(appId, courseId) && mayCreateNewVersion !== 'true') {
        req.resume();
        throw new V2Error(409, `Course ${courseId} already exists and mayCreateNewVersion is false`);
      }
      const file = await readUploadedFile(req);
      if (!file || !file.data.length) throw new V2Error(400, 'A multipart file is required');
      return { result: this.store.startImport(appId, courseId, file.data.length, manifestTitle(file.data)) };
    });
  }

  @Get('courses/:id')
  course(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    this.handle(req, res, (appId) => this.courseJson(this.requireCourse(appId, id)));
  }

  @Delete('courses/:id')
  deleteCourse(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    this.handle(req, res, (appId) => {
      if (!this.store.deleteCourse(appId, id)) throw new V2Error(404, `Course ${id} not found`);
      return undefined;
    });
  }

  @Post('registrations')
  createRegistration(@Req() req: Request, @Res() res: Response, @Body() body: Record<string, unknown>) {
    this.handle(req, res, (appId) => {
      const learner = (body?.learner ?? {}) as Record<string, unknown>;
      const postBack = (body?.postBack ?? undefined) as Record<string, unknown> | undefined;
      const id = body?.registrationId;
      if (typeof id !== 'string' || !id) throw new V2Error(400, 'registrationId is required');
      if (typeof body.courseId !== 'string') throw new V2Error(400, 'courseId is required');
      if (typeof learner.id !== 'string' || !learner.id) throw new V2Error(400, 'learner.id is required');
      this.requireCourse(appId, body.courseId);
      if (this.store.registration(appId, id)) throw new V2Error(409, `Registration ${id} already exists`);
      const authType = String(postBack?.authType ?? 'UNDEFINED').toLowerCase();
      if (postBack?.url && authType !== 'httpbasic' && authType !== 'form') {
        throw new V2Error(400, 'postBack.authType must be FORM or HTTPBASIC');
      }
      this.store.addRegistration({
        appId,
        courseId: body.courseId,
        id,
        learner: {
          firstName: String(learner.firstName ?? ''),
          id: learner.id,
          lastName: String(learner.lastName ?? ''),
        },
        postback: postBack?.url
          ? {
              api: 'v2',
              authType: authType as 'httpbasic' | 'form',
              password: String(postBack.password ?? ''),
              resultsFormat: String(postBack.resultsFormat ?? 'COURSE').toUpperCase(),
              url: String(postBack.url),
              userName: String(postBack.userName ?? ''),
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

  @Post('registrations/:id/launchLink')
  @HttpCode(200)
  launchLink(
    @Req() req: Request,
    @Res() res: Response,
    @Param('id') id: string,
    @Body() body: Record<string, unknown>,
  ) {
    this.handle(req, res, (appId) => {
      const registration = this.requireRegistration(appId, id);
      const expiry = body?.expiry === undefined ? 120 : Number(body.expiry);
      if (!Number.isInteger(expiry) || expiry < 10 || expiry > 300) {
        throw new V2Error(400, 'expiry must be an integer from 10 to 300 seconds');
      }
      const redirect = typeof body?.redirectOnExitUrl === 'string' ? body.redirectOnExitUrl : undefined;
      const token = this.store.createLaunch(registration, expiry, redirect);
      return { launchLink: this.store.playerUrl(token) };
    });
  }

  private courseJson(c: { id: string; title: string; version: number; created: Date; updated: Date }) {
    return {
      courseLearningStandard: 'SCORM12',
      created: c.created.toISOString(),
      id: c.id,
      registrationCount: [...this.store.registrations.values()].filter((r) => r.courseId === c.id).length,
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

  private handle(req: Request, res: Response, fn: (appId: string) => unknown): void {
    try {
      this.send(res, fn(this.authenticate(req)));
    } catch (error) {
      this.fail(res, error);
    }
  }

  private async handleAsync(req: Request, res: Response, fn: (appId: string) => Promise<unknown>): Promise<void> {
    try {
      this.send(res, await fn(this.authenticate(req)));
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
