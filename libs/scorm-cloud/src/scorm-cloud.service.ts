import { Caller, describeCaller, hasRole } from '@app/auth';
import { Clock, ConflictError, DomainError, ForbiddenError, NotFoundError, ValidationFailedError } from '@app/common';
import { AppConfigService } from '@app/config';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Brackets, DataSource, In } from 'typeorm';

import { RegistrationProgressEntity } from './registrations/registration-progress.entity';
import { RegistrationProgressService } from './registrations/registration-progress.service';
import type { RegistrationProgressUpdate } from './registrations/registration-progress.types';
import { RegistrationEntity } from './registrations/registration.entity';
import { PostbackTokenService } from './tokens/postback-token.service';
import {
  ImportJob,
  LaunchLink,
  SCORM_CLOUD_TRANSPORT,
  ScormCloudTransport,
  ScormCourse,
} from './transport/scorm-cloud.transport';

export interface CreateRegistrationInput {
  courseId: string;
  learnerId: string;
  learnerFirstName: string;
  learnerLastName: string;
  contextId?: string;
  registrationId?: string;
}

export interface RegistrationView {
  registration: RegistrationEntity;
  progress: RegistrationProgressEntity[];
}

export interface ImportOutcome extends ImportJob {
  /** False when the job was still running at the end of the bounded wait. */
  finished: boolean;
}

/** The postback route the webhook library serves; SCORM Cloud calls it with our credentials and token. */
export const POSTBACK_PATH = '/api/v1/webhooks/scorm-cloud';
const LAUNCH_LINK_EXPIRY_SECONDS = 300;
/** Launched registrations that never reported are re-checked for this long, then left alone. */
const RECONCILE_WINDOW_MS = 7 * 24 * 3600_000;

export interface ImportWaitOptions {
  maxWaitMs: number;
  pollIntervalMs: number;
}

/** The one facade the controllers (and the webhook's reconciliation) use; v2 or v1 transport inside. */
@Injectable()
export class ScormCloudService {
  private readonly logger = new Logger(ScormCloudService.name);

  constructor(
    @Inject(SCORM_CLOUD_TRANSPORT) private readonly transport: ScormCloudTransport,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly progress: RegistrationProgressService,
    private readonly postbackTokens: PostbackTokenService,
    private readonly config: AppConfigService,
    private readonly clock: Clock,
  ) {}

  listCourses(): Promise<ScormCourse[]> {
    return this.transport.listCourses();
  }

  /** SCORM Cloud deletes a course's registrations with it, so ours go too. */
  async deleteCourse(courseId: string): Promise<void> {
    await this.transport.deleteCourse(courseId);
    await this.dataSource.transaction(async (tx) => {
      const ids = (await tx.getRepository(RegistrationEntity).find({ select: { id: true }, where: { courseId } })).map(
        (r) => r.id,
      );
      if (!ids.length) return;
      await tx.getRepository(RegistrationProgressEntity).delete({ registrationId: In(ids) });
      await tx.getRepository(RegistrationEntity).delete({ id: In(ids) });
    });
  }

  async importCourse(
    upload: { file: Readable; filename: string; courseId?: string; size?: number; mayCreateNewVersion?: boolean },
    wait: ImportWaitOptions = { maxWaitMs: 20_000, pollIntervalMs: 250 },
  ): Promise<ImportOutcome> {
    const courseId = upload.courseId ?? randomUUID();
    const { jobId } = await this.transport.startImport({
      courseId,
      file: upload.file,
      filename: upload.filename,
      mayCreateNewVersion: upload.mayCreateNewVersion ?? false,
      size: upload.size,
    });
    const deadline = Date.now() + wait.maxWaitMs;
    let interval = wait.pollIntervalMs;
    for (;;) {
      const job = await this.transport.importJob(jobId);
      if (job.status === 'ERROR') {
        throw new DomainError(
          'SCORM_CLOUD_IMPORT_FAILED',
          `SCORM Cloud could not import the course: ${job.message ?? 'no reason given'}`,
          'upstream_bad_request',
        );
      }
      if (job.status === 'COMPLETE') return { ...job, courseId: job.courseId ?? courseId, finished: true };
      if (Date.now() + interval > deadline) return { ...job, courseId: job.courseId ?? courseId, finished: false };
      await sleep(interval);
      interval = Math.min(interval * 2, 2000);
    }
  }

  importJob(jobId: string): Promise<ImportJob> {
    return this.transport.importJob(jobId);
  }

  async createRegistration(caller: Caller, input: CreateRegistrationInput): Promise<RegistrationView> {
    if (!hasRole(caller, 'teacher', 'admin') && caller.kind === 'user' && caller.userId !== input.learnerId) {
      throw new ForbiddenError(
        'LEARNER_MISMATCH',
        `A student may register only themself (learner_id ${caller.userId})`,
      );
    }
    const repo = this.dataSource.getRepository(RegistrationEntity);
    const id = input.registrationId ?? randomUUID();
    if (await repo.exist({ where: { id } })) {
      throw new ConflictError('REGISTRATION_EXISTS', `Registration ${id} already exists`);
    }
    const now = this.clock.now();
    const registration = repo.create({
      contextId: input.contextId ?? null,
      courseId: input.courseId,
      createdAt: now,
      // created_by holds 255 characters and a token's user id may be 255 itself: an audit note, cut to fit.
      createdBy: describeCaller(caller).slice(0, 255),
      id,
      instance: 0,
      launchedAt: null,
      learnerFirstName: input.learnerFirstName,
      learnerId: input.learnerId,
      learnerLastName: input.learnerLastName,
      lastPostbackAt: null,
      lastSyncedAt: null,
      progressSource: null,
      updatedAt: now,
    });
    // Stored first, so a postback that arrives the moment SCORM Cloud creates it finds its registration.
    try {
      await repo.insert(registration);
    } catch (error) {
      if (await repo.exist({ where: { id } })) {
        throw new ConflictError('REGISTRATION_EXISTS', `Registration ${id} already exists`);
      }
      throw error;
    }
    try {
      const token = await this.postbackTokens.sign(id);
      await this.transport.createRegistration({
        courseId: input.courseId,
        learner: { firstName: input.learnerFirstName, id: input.learnerId, lastName: input.learnerLastName },
        postback: {
          password: this.config.webhook.password,
          url: `${this.config.http.publicBaseUrl}${POSTBACK_PATH}?token=${encodeURIComponent(token)}`,
          username: this.config.webhook.username,
        },
        registrationId: id,
      });
    } catch (error) {
      await repo.delete({ id });
      if (error instanceof NotFoundError && error.code === 'SCORM_CLOUD_NOT_FOUND') {
        throw new NotFoundError('COURSE_NOT_FOUND', `SCORM Cloud has no course ${input.courseId}`);
      }
      throw error;
    }
    return { progress: [], registration };
  }

  async getRegistration(caller: Caller, registrationId: string, refresh = false): Promise<RegistrationView> {
    const registration = await this.findOwnRegistration(caller, registrationId);
    if (refresh) await this.refreshRegistration(registrationId);
    return this.view(refresh ? await this.requireRegistration(registrationId) : registration);
  }

  async deleteRegistration(caller: Caller, registrationId: string): Promise<void> {
    await this.findOwnRegistration(caller, registrationId);
    try {
      await this.transport.deleteRegistration(registrationId);
    } catch (error) {
      // Already gone upstream: deleting our copy is what the caller wants.
      if (!(error instanceof NotFoundError)) throw error;
    }
    await this.dataSource.transaction(async (tx) => {
      await tx.getRepository(RegistrationProgressEntity).delete({ registrationId });
      await tx.getRepository(RegistrationEntity).delete({ id: registrationId });
    });
  }

  async resetRegistration(caller: Caller, registrationId: string): Promise<void> {
    await this.findOwnRegistration(caller, registrationId);
    await this.transport.resetRegistration(registrationId);
    await this.refreshRegistration(registrationId);
  }

  async launch(caller: Caller, registrationId: string, redirectUrl?: string): Promise<LaunchLink> {
    const registration = await this.requireRegistration(registrationId);
    if (caller.kind === 'user' && caller.userId !== registration.learnerId) {
      throw new ForbiddenError('NOT_THE_LEARNER', 'Only the registered learner may launch this registration');
    }
    if (redirectUrl !== undefined) this.assertAllowedReturnUrl(redirectUrl);
    const link = await this.transport.launchLink(registrationId, {
      expirySeconds: LAUNCH_LINK_EXPIRY_SECONDS,
      redirectUrl,
    });
    const now = this.clock.now();
    await this.dataSource
      .getRepository(RegistrationEntity)
      .update({ id: registrationId }, { launchedAt: now, updatedAt: now });
    return link;
  }

  async learnerProgress(caller: Caller, learnerId: string): Promise<RegistrationView[]> {
    if (caller.kind === 'user' && caller.role === 'student' && caller.userId !== learnerId) {
      throw new ForbiddenError('NOT_THE_LEARNER', 'A student may read only their own progress');
    }
    const registrations = await this.dataSource
      .getRepository(RegistrationEntity)
      .find({ order: { createdAt: 'ASC' }, where: { learnerId } });
    const progress = await this.progress.progressOf(registrations.map((r) => r.id));
    return registrations.map((registration) => ({ progress: progress.get(registration.id) ?? [], registration }));
  }

  /** Re-reads the registration from SCORM Cloud and feeds the projection with it (source `api`). */
  async refreshRegistration(registrationId: string): Promise<void> {
    await this.requireRegistration(registrationId);
    // Postbacks received before this moment are what the API answer supersedes (a forged one included).
    const readStartedAt = this.clock.now();
    let update: RegistrationProgressUpdate;
    try {
      update = await this.transport.registrationProgress(registrationId);
    } catch (error) {
      if (error instanceof NotFoundError) {
        // Gone upstream: note the check so reconciliation does not ask again and again.
        const now = this.clock.now();
        await this.dataSource
          .getRepository(RegistrationEntity)
          .update({ id: registrationId }, { lastSyncedAt: now, updatedAt: now });
      }
      throw error;
    }
    await this.progress.applyMany([{ ...update, readStartedAt, registrationId, source: 'api' }]);
  }

  /**
   * Registrations whose postback is overdue (launched, nothing heard since launch for `overdueAfterMs`) or whose
   * stored progress came only from a postback not yet confirmed by the API; least recently checked first.
   */
  async findRegistrationsToReconcile(now: Date, overdueAfterMs: number, limit: number): Promise<string[]> {
    const iso = (date: Date) => date.toISOString();
    const rows = await this.dataSource
      .getRepository(RegistrationEntity)
      .createQueryBuilder('r')
      .select('r.id', 'id')
      .where(
        new Brackets((unconfirmed) =>
          unconfirmed
            .where("r.progress_source = 'postback'")
            .andWhere('(r.last_synced_at IS NULL OR r.last_synced_at < r.last_postback_at)'),
        ),
      )
      .orWhere(
        new Brackets((overdue) =>
          overdue
            .where('r.launched_at IS NOT NULL')
            .andWhere('r.launched_at <= :overdueBefore')
            .andWhere('r.launched_at >= :windowStart')
            .andWhere('(r.last_postback_at IS NULL OR r.last_postback_at < r.launched_at)')
            .andWhere('(r.last_synced_at IS NULL OR r.last_synced_at <= :overdueBefore)'),
        ),
      )
      .orderBy('COALESCE(r.last_synced_at, r.created_at)', 'ASC')
      .addOrderBy('r.id', 'ASC')
      .limit(limit)
      .setParameters({
        overdueBefore: iso(new Date(now.getTime() - overdueAfterMs)),
        windowStart: iso(new Date(now.getTime() - RECONCILE_WINDOW_MS)),
      })
      .getRawMany<{ id: string }>();
    return rows.map((row) => row.id);
  }

  private assertAllowedReturnUrl(value: string): void {
    let origin: string;
    try {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
      origin = url.origin;
    } catch {
      throw new ValidationFailedError('redirect_url must be an absolute http(s) URL', {
        redirect_url: ['must be an absolute http(s) URL'],
      });
    }
    if (!this.config.http.allowedReturnOrigins.includes(origin)) {
      throw new ValidationFailedError(`redirect_url origin ${origin} is not in ALLOWED_RETURN_ORIGINS`, {
        redirect_url: ['origin must be one of ALLOWED_RETURN_ORIGINS'],
      });
    }
  }

  private async requireRegistration(registrationId: string): Promise<RegistrationEntity> {
    const registration = await this.dataSource
      .getRepository(RegistrationEntity)
      .findOne({ where: { id: registrationId } });
    if (!registration) throw new NotFoundError('REGISTRATION_NOT_FOUND', `No registration ${registrationId}`);
    return registration;
  }

  /** Students see only their own registrations; teachers, admins and API keys see all. */
  private async findOwnRegistration(caller: Caller, registrationId: string): Promise<RegistrationEntity> {
    const registration = await this.requireRegistration(registrationId);
    if (caller.kind === 'user' && caller.role === 'student' && caller.userId !== registration.learnerId) {
      throw new ForbiddenError('NOT_THE_LEARNER', 'A student may access only their own registrations');
    }
    return registration;
  }

  private async view(registration: RegistrationEntity): Promise<RegistrationView> {
    const progress = await this.progress.progressOf([registration.id]);
    return { progress: progress.get(registration.id) ?? [], registration };
  }
}
