import { Inject, Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';

import { SANDBOX_CONFIG, SandboxConfig } from '../sandbox.config';

export interface SandboxCourse {
  appId: string;
  id: string;
  title: string;
  version: number;
  created: Date;
  updated: Date;
  size: number;
}

export interface SandboxImportJob {
  appId: string;
  id: string;
  courseId: string;
  title?: string;
  error?: string;
  /** Imports "run" briefly, like the real service's async imports. */
  readyAt: number;
}

export interface SandboxPostback {
  url: string;
  /** v2: HTTPBASIC | FORM; v1: httpbasic | form. */
  authType: 'httpbasic' | 'form';
  userName: string;
  password: string;
  resultsFormat: string;
  api: 'v1' | 'v2';
}

export interface SandboxRegistration {
  appId: string;
  id: string;
  courseId: string;
  learner: { id: string; firstName: string; lastName: string };
  instance: number;
  postback?: SandboxPostback;
  created: Date;
  updated: Date;
  completion: 'COMPLETED' | 'INCOMPLETE' | 'UNKNOWN';
  success: 'PASSED' | 'FAILED' | 'UNKNOWN';
  score: number | null;
  totalSeconds: number;
  firstAccess: Date | null;
  lastAccess: Date | null;
  completedDate: Date | null;
}

export interface SandboxLaunch {
  registrationId: string;
  appId: string;
  expiresAt: number;
  redirectUrl?: string;
  launchedAt: number;
}

const IMPORT_RUN_MS = 150;

/** The sandbox SCORM Cloud's whole state, in memory. Its clock can be skewed to exercise v1 `ts` handling. */
@Injectable()
export class ScormSandboxStore {
  readonly courses = new Map<string, SandboxCourse>();
  readonly jobs = new Map<string, SandboxImportJob>();
  readonly registrations = new Map<string, SandboxRegistration>();
  readonly launches = new Map<string, SandboxLaunch>();
  clockOffsetMs = 0;

  constructor(@Inject(SANDBOX_CONFIG) readonly config: SandboxConfig) {}

  now(): Date {
    return new Date(Date.now() + this.clockOffsetMs);
  }

  private key(appId: string, id: string): string {
    return `${appId}\u0000${id}`;
  }

  course(appId: string, id: string): SandboxCourse | undefined {
    return this.courses.get(this.key(appId, id));
  }

  coursesOf(appId: string): SandboxCourse[] {
    return [...this.courses.values()].filter((c) => c.appId === appId).sort((a, b) => a.id.localeCompare(b.id));
  }

  deleteCourse(appId: string, id: string): boolean {
    for (const [key, registration] of this.registrations) {
      if (registration.appId === appId && registration.courseId === id) this.registrations.delete(key);
    }
    return this.courses.delete(this.key(appId, id));
  }

  startImport(appId: string, courseId: string, size: number, manifest: { found: boolean; title?: string }): string {
    const id = randomUUID();
    const job: SandboxImportJob = { appId, courseId, id, readyAt: Date.now() + IMPORT_RUN_MS };
    if (!manifest.found) job.error = 'imsmanifest.xml was not found at the root of the zip';
    else {
      job.title = manifest.title ?? courseId;
      const existing = this.course(appId, courseId);
      const now = this.now();
      this.courses.set(this.key(appId, courseId), {
        appId,
        created: existing?.created ?? now,
        id: courseId,
        size,
        title: job.title,
        updated: now,
        version: existing ? existing.version + 1 : 0,
      });
    }
    this.jobs.set(id, job);
    return id;
  }

  job(appId: string, id: string): (SandboxImportJob & { status: 'RUNNING' | 'COMPLETE' | 'ERROR' }) | undefined {
    const job = this.jobs.get(id);
    if (!job || job.appId !== appId) return undefined;
    const status = Date.now() < job.readyAt ? 'RUNNING' : job.error ? 'ERROR' : 'COMPLETE';
    return { ...job, status };
  }

  registration(appId: string, id: string): SandboxRegistration | undefined {
    return this.registrations.get(this.key(appId, id));
  }

  addRegistration(
    registration: Omit<
      SandboxRegistration,
      | 'created'
      | 'updated'
      | 'completion'
      | 'success'
      | 'score'
      | 'totalSeconds'
      | 'firstAccess'
      | 'lastAccess'
      | 'completedDate'
      | 'instance'
    >,
  ): SandboxRegistration {
    const now = this.now();
    const full: SandboxRegistration = {
      ...registration,
      completedDate: null,
      completion: 'UNKNOWN',
      created: now,
      firstAccess: null,
      instance: 0,
      lastAccess: null,
      score: null,
      success: 'UNKNOWN',
      totalSeconds: 0,
      updated: now,
    };
    this.registrations.set(this.key(registration.appId, registration.id), full);
    return full;
  }

  deleteRegistration(appId: string, id: string): boolean {
    return this.registrations.delete(this.key(appId, id));
  }

  resetRegistration(registration: SandboxRegistration): void {
    Object.assign(registration, {
      completedDate: null,
      completion: 'UNKNOWN',
      firstAccess: null,
      lastAccess: null,
      score: null,
      success: 'UNKNOWN',
      totalSeconds: 0,
      updated: this.now(),
    });
  }

  createLaunch(registration: SandboxRegistration, expirySeconds: number, redirectUrl?: string): string {
    const token = randomBytes(18).toString('base64url');
    this.launches.set(token, {
      appId: registration.appId,
      expiresAt: Date.now() + expirySeconds * 1000,
      launchedAt: Date.now(),
      redirectUrl,
      registrationId: registration.id,
    });
    return token;
  }

  playerUrl(token: string): string {
    return `${this.config.publicUrl}/scorm/player/${token}`;
  }
}
