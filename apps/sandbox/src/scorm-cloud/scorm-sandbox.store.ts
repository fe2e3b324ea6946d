import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

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
  /** Exactly as the registration was created with: v2 UNDEFINED | FORM | HTTPBASIC, v1 form | httpbasic. */
  authType: string;
  userName: string;
  password: string;
  resultsFormat: string;
  api: 'v1' | 'v2';
}

/** v2 documents FORM as what an unset (UNDEFINED) authType means; v1 documents form as its default. */
export function postsWithHttpBasic(postback: SandboxPostback): boolean {
  return postback.authType === (postback.api === 'v2' ? 'HTTPBASIC' : 'httpbasic');
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
const STATE_VERSION = 1;
const DATE_FIELDS = ['created', 'updated', 'firstAccess', 'lastAccess', 'completedDate'] as const;

interface StateFile {
  version: number;
  courses: SandboxCourse[];
  jobs: SandboxImportJob[];
  registrations: SandboxRegistration[];
  launches: [string, SandboxLaunch][];
}

/**
 * The sandbox SCORM Cloud's whole state. With SANDBOX_STATE_FILE it is also kept in that JSON file (written to a
 * temporary file and renamed over it, so a crash never leaves half a file), so a restarted sandbox still has the
 * courses and registrations the gateway's database remembers. Its clock can be skewed to exercise v1 `ts` handling.
 */
@Injectable()
export class ScormSandboxStore {
  readonly courses = new Map<string, SandboxCourse>();
  readonly jobs = new Map<string, SandboxImportJob>();
  readonly registrations = new Map<string, SandboxRegistration>();
  readonly launches = new Map<string, SandboxLaunch>();
  /** v2 learner deletions asked for, and when each finished (it runs in the background, as SCORM Cloud's does). */
  readonly learnerErasures: { appId: string; learnerId: string; userEmail: string; erasedAt?: Date }[] = [];
  clockOffsetMs = 0;
  private readonly logger = new Logger('SandboxScormState');
  private lastWritten?: string;
  private writeFailed = false;

  constructor(@Inject(SANDBOX_CONFIG) readonly config: SandboxConfig) {
    const file = config.scormCloud.stateFile;
    if (file && existsSync(file)) this.restore(file);
  }

  /** Writes the state file when something changed since the last write; a no-op without SANDBOX_STATE_FILE. */
  persist(): void {
    const file = this.config.scormCloud.stateFile;
    if (!file) return;
    const state: StateFile = {
      courses: [...this.courses.values()],
      jobs: [...this.jobs.values()],
      launches: [...this.launches.entries()],
      registrations: [...this.registrations.values()],
      version: STATE_VERSION,
    };
    const text = JSON.stringify(state);
    if (text === this.lastWritten) return;
    const temporary = `${file}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(temporary, text);
      renameSync(temporary, file);
      this.lastWritten = text;
      this.writeFailed = false;
    } catch (error) {
      if (!this.writeFailed) this.logger.warn(`Cannot write ${file}: ${(error as Error).message}`);
      this.writeFailed = true;
    }
  }

  private restore(file: string): void {
    let state: StateFile;
    try {
      state = JSON.parse(readFileSync(file, 'utf8')) as StateFile;
      if (state.version !== STATE_VERSION) throw new Error(`version ${String(state.version)} is not ${STATE_VERSION}`);
    } catch (error) {
      throw new Error(
        `SANDBOX_STATE_FILE ${file} cannot be read (${(error as Error).message}); ` +
          'delete it, or run `npm start -- --reset` to start the gateway and the sandbox afresh',
      );
    }
    const date = (value: unknown) => (typeof value === 'string' ? new Date(value) : null);
    for (const course of state.courses) {
      this.courses.set(this.key(course.appId, course.id), {
        ...course,
        created: new Date(course.created),
        updated: new Date(course.updated),
      });
    }
    for (const job of state.jobs) this.jobs.set(job.id, job);
    for (const registration of state.registrations) {
      const revived = { ...registration } as SandboxRegistration;
      for (const field of DATE_FIELDS)
        (revived as unknown as Record<string, Date | null>)[field] = date(registration[field]);
      this.registrations.set(this.key(revived.appId, revived.id), revived);
    }
    for (const [token, launch] of state.launches) this.launches.set(token, launch);
    this.lastWritten = JSON.stringify(state);
    this.logger.log(
      `Restored ${this.courses.size} course(s) and ${this.registrations.size} registration(s) from ${file}`,
    );
  }

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

  /** Erases the learner's personal data (names) from every registration of theirs in the app. */
  eraseLearner(appId: string, learnerId: string): number {
    let erased = 0;
    for (const registration of this.registrations.values()) {
      if (registration.appId !== appId || registration.learner.id !== learnerId) continue;
      registration.learner = { firstName: '', id: learnerId, lastName: '' };
      erased++;
    }
    this.persist();
    return erased;
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
