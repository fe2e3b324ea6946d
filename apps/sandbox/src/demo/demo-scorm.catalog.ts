import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';

import { SANDBOX_CONFIG, SandboxConfig } from '../sandbox.config';
import { DEMO_SCHOOL } from './demo-catalog';
import { DemoTokenSigner, TokenSubject } from './demo-token.signer';
import { SAMPLE_COURSE_ID, SAMPLE_COURSE_TITLE, buildSampleCourseZip } from './sample-course.zip';

export interface DemoScormCourse {
  course_id: string;
  title: string;
}

export interface DemoScormCourses {
  courses: DemoScormCourse[];
  error?: string;
}

/** The LMS's own back end: an admin identity only this server uses, never handed to a browser. */
const LMS_BACKEND: TokenSubject = {
  ...DEMO_SCHOOL,
  email: 'lms@kallio.example.fi',
  first_name: 'Demo',
  last_name: 'LMS',
  role: 'admin',
  user_id: 'demo-lms-backend',
};
const TIMEOUT_MS = 5000;

/**
 * The SCORM courses the demo LMS offers. Students may not list SCORM Cloud's courses, so the LMS back end does
 * it (GET /api/v1/scorm/courses as admin), and the first time it finds none it imports a small sample course
 * through the gateway (POST /api/v1/scorm/courses), as an LMS administrator would.
 */
@Injectable()
export class DemoScormCatalog {
  private readonly logger = new Logger('DemoLms');
  private seeding?: Promise<void>;
  private seeded = false;

  constructor(
    @Inject(SANDBOX_CONFIG) private readonly config: SandboxConfig,
    private readonly signer: DemoTokenSigner,
  ) {}

  async courses(): Promise<DemoScormCourses> {
    try {
      let courses = await this.list();
      if (!courses.length && !this.seeded) {
        this.seeding ??= this.importSample().finally(() => (this.seeding = undefined));
        await this.seeding;
        courses = await this.list();
      }
      return { courses };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(`SCORM courses unavailable: ${message}`);
      return { courses: [], error: message };
    }
  }

  private async list(): Promise<DemoScormCourse[]> {
    const body = (await this.call('GET', '/api/v1/scorm/courses')) as { courses?: { id: string; title: string }[] };
    return (body.courses ?? []).map((course) => ({ course_id: course.id, title: course.title || course.id }));
  }

  private async importSample(): Promise<void> {
    const form = new FormData();
    form.append('file', new Blob([buildSampleCourseZip()], { type: 'application/zip' }), `${SAMPLE_COURSE_ID}.zip`);
    let job = (await this.call('POST', `/api/v1/scorm/courses?course_id=${SAMPLE_COURSE_ID}`, form)) as {
      job_id: string;
      status: string;
      message?: string | null;
    };
    for (let attempt = 0; attempt < 20 && job.status === 'RUNNING'; attempt++) {
      await sleep(250);
      job = (await this.call(
        'GET',
        `/api/v1/scorm/courses/import-jobs/${encodeURIComponent(job.job_id)}`,
      )) as typeof job;
    }
    if (job.status !== 'COMPLETE')
      throw new Error(`importing the sample course ended ${job.status}: ${job.message ?? ''}`);
    this.seeded = true;
    this.logger.log(`Imported the sample SCORM course "${SAMPLE_COURSE_TITLE}" through the gateway`);
  }

  private async call(method: string, path: string, body?: FormData): Promise<unknown> {
    const { token } = this.signer.sign(LMS_BACKEND);
    const response = await fetch(`${this.config.gatewayUrl}${path}`, {
      body,
      headers: { Authorization: `Bearer ${token}` },
      method,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : {};
  }
}
