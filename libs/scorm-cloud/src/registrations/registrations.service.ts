import { Caller, describeCaller } from '@app/auth';
import { Clock, ConflictError, DomainError, NotFoundError, assertAllowedReturnUrl } from '@app/common';
import { AppConfigService } from '@app/config';
import { EventOutbox } from '@app/events';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

import type { RegistrationProgressEntity } from '../entities/registration-progress.entity';
import type { RegistrationEntity } from '../entities/registration.entity';
import { RegistrationRepository } from '../repositories/registration.repository';
import { SCORM_CLOUD_OPTIONS, ScormCloudModuleOptions } from '../scorm-cloud.options';
import { PostbackTokenService } from '../tokens/postback-token.service';
import { LaunchLink, SCORM_CLOUD_TRANSPORT, ScormCloudTransport } from '../transport/scorm-cloud.transport';
import {
  RegistrationAction,
  RegistrationRequest,
  assertMayAccessRegistration,
  assertMayListLearner,
  bindNewRegistration,
  mayAccessRegistration,
} from './registration-access.policy';
import { RegistrationProgressService } from './registration-progress.service';
import type { RegistrationProgressUpdate } from './registration-progress.types';

export interface RegistrationView {
  registration: RegistrationEntity;
  progress: RegistrationProgressEntity[];
}

const LAUNCH_LINK_EXPIRY_SECONDS = 300;

/** What a re-read from the API found. */
export type RefreshOutcome = 'refreshed' | 'deleted_upstream';

/** Registrations: created here and on SCORM Cloud, read, reset, deleted, launched, and re-read from the API. */
@Injectable()
export class RegistrationsService {
  private readonly logger = new Logger(RegistrationsService.name);

  constructor(
    @Inject(SCORM_CLOUD_TRANSPORT) private readonly transport: ScormCloudTransport,
    @Inject(SCORM_CLOUD_OPTIONS) private readonly options: ScormCloudModuleOptions,
    private readonly registrations: RegistrationRepository,
    private readonly progress: RegistrationProgressService,
    private readonly postbackTokens: PostbackTokenService,
    private readonly config: AppConfigService,
    private readonly clock: Clock,
    private readonly outbox: EventOutbox,
  ) {}

  async create(caller: Caller, request: RegistrationRequest): Promise<RegistrationView> {
    const input = bindNewRegistration(caller, request);
    const id = input.registrationId ?? randomUUID();
    if (await this.registrations.exists(id)) throw registrationExists(id);
    const now = this.clock.now();
    const registration = this.registrations.build({
      contextId: input.contextId ?? null,
      courseId: input.courseId,
      createdAt: now,
      // created_by holds 255 characters and a token's user id may be 255 itself: an audit note, cut to fit.
      createdBy: describeCaller(caller).slice(0, 255),
      deletedUpstreamAt: null,
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
      await this.registrations.insert(registration);
    } catch (error) {
      if (await this.registrations.exists(id)) throw registrationExists(id);
      throw error;
    }
    try {
      const token = await this.postbackTokens.sign(id);
      await this.transport.createRegistration({
        courseId: input.courseId,
        learner: { firstName: input.learnerFirstName, id: input.learnerId, lastName: input.learnerLastName },
        postback: {
          password: this.config.webhook.password,
          url: `${this.config.http.publicBaseUrl}${this.options.postbackPath}?token=${encodeURIComponent(token)}`,
          username: this.config.webhook.username,
        },
        registrationId: id,
      });
    } catch (error) {
      await this.registrations.delete([id]);
      if (error instanceof NotFoundError && error.code === 'SCORM_CLOUD_NOT_FOUND') {
        throw new NotFoundError('COURSE_NOT_FOUND', `SCORM Cloud has no course ${input.courseId}`);
      }
      throw error;
    }
    return { progress: [], registration };
  }

  async get(caller: Caller, registrationId: string, refresh = false): Promise<RegistrationView> {
    const registration = await this.accessible(caller, 'read', registrationId);
    if (!refresh) return this.view(registration);
    await this.refresh(registrationId);
    return this.view(await this.require(registrationId));
  }

  async delete(caller: Caller, registrationId: string): Promise<void> {
    await this.accessible(caller, 'delete', registrationId);
    try {
      await this.transport.deleteRegistration(registrationId);
    } catch (error) {
      // Already gone upstream: deleting our copy is what the caller wants.
      if (!(error instanceof NotFoundError)) throw error;
    }
    await this.registrations.delete([registrationId]);
  }

  async reset(caller: Caller, registrationId: string): Promise<RegistrationView> {
    this.live(await this.accessible(caller, 'reset', registrationId));
    await this.upstream(registrationId, () => this.transport.resetRegistration(registrationId));
    await this.refresh(registrationId);
    return this.view(await this.require(registrationId));
  }

  async launch(caller: Caller, registrationId: string, redirectUrl?: string): Promise<LaunchLink> {
    this.live(await this.accessible(caller, 'launch', registrationId));
    if (redirectUrl !== undefined) {
      assertAllowedReturnUrl(redirectUrl, this.config.http.allowedReturnOrigins, 'redirect_url');
    }
    const link = await this.upstream(registrationId, () =>
      this.transport.launchLink(registrationId, { expirySeconds: LAUNCH_LINK_EXPIRY_SECONDS, redirectUrl }),
    );
    await this.registrations.markLaunched(registrationId, this.clock.now());
    return link;
  }

  async learnerProgress(caller: Caller, learnerId: string): Promise<RegistrationView[]> {
    assertMayListLearner(caller, learnerId);
    const registrations = (await this.registrations.findByLearner(learnerId)).filter((registration) =>
      mayAccessRegistration(caller, 'read', registration),
    );
    const progress = await this.progress.progressOf(registrations.map((r) => r.id));
    return registrations.map((registration) => ({ progress: progress.get(registration.id) ?? [], registration }));
  }

  /**
   * Re-reads the registration from SCORM Cloud and feeds the projection with it (source `api`). One that SCORM
   * Cloud no longer has is marked deleted upstream, its progress kept, and never asked about again.
   */
  async refresh(registrationId: string): Promise<RefreshOutcome> {
    const registration = await this.require(registrationId);
    if (registration.deletedUpstreamAt) return 'deleted_upstream';
    // Postbacks received before this moment are what the API answer supersedes (a forged one included).
    const observedAt = this.clock.now();
    let update: RegistrationProgressUpdate;
    try {
      update = await this.transport.registrationProgress(registrationId);
    } catch (error) {
      if (!isGoneUpstream(error)) throw error;
      await this.markDeletedUpstream(registrationId);
      return 'deleted_upstream';
    }
    await this.progress.applyMany([{ ...update, observedAt, registrationId, source: 'api' }]);
    return 'refreshed';
  }

  /** Registrations the reconciliation pass should re-read (see RegistrationRepository.findToReconcile). */
  toReconcile(now: Date, overdueAfterMs: number, limit: number): Promise<string[]> {
    return this.registrations.findToReconcile(now, overdueAfterMs, limit);
  }

  /** A call about the registration; SCORM Cloud's "no such registration" marks it deleted upstream (410). */
  private async upstream<T>(registrationId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!isGoneUpstream(error)) throw error;
      await this.markDeletedUpstream(registrationId);
      throw deletedUpstream(registrationId);
    }
  }

  private async markDeletedUpstream(registrationId: string): Promise<void> {
    this.logger.warn({ registration_id: registrationId }, 'SCORM Cloud no longer has this registration');
    const at = this.clock.now();
    await this.registrations.markDeletedUpstream(registrationId, at, (tx, registration) =>
      this.outbox.append(tx, [
        {
          contextId: registration.contextId,
          courseId: registration.courseId,
          data: {
            context_id: registration.contextId,
            course_id: registration.courseId,
            deleted_upstream_at: at.toISOString(),
            learner_id: registration.learnerId,
            registration_id: registration.id,
          },
          learnerId: registration.learnerId,
          occurredAt: at,
          registrationId: registration.id,
          type: 'registration.deleted_upstream',
        },
      ]),
    );
  }

  /** Refuses what needs SCORM Cloud's copy of a registration it no longer has. */
  private live(registration: RegistrationEntity): void {
    if (registration.deletedUpstreamAt) throw deletedUpstream(registration.id);
  }

  private async require(registrationId: string): Promise<RegistrationEntity> {
    const registration = await this.registrations.findById(registrationId);
    if (!registration) throw new NotFoundError('REGISTRATION_NOT_FOUND', `No registration ${registrationId}`);
    return registration;
  }

  private async accessible(caller: Caller, action: RegistrationAction, id: string): Promise<RegistrationEntity> {
    const registration = await this.require(id);
    assertMayAccessRegistration(caller, action, registration);
    return registration;
  }

  private async view(registration: RegistrationEntity): Promise<RegistrationView> {
    const progress = await this.progress.progressOf([registration.id]);
    return { progress: progress.get(registration.id) ?? [], registration };
  }
}

const isGoneUpstream = (error: unknown) => error instanceof NotFoundError && error.code === 'SCORM_CLOUD_NOT_FOUND';

function deletedUpstream(id: string): DomainError {
  return new DomainError(
    'REGISTRATION_DELETED_UPSTREAM',
    `SCORM Cloud no longer has registration ${id}; its last progress is kept here. Enrol the learner again.`,
    'gone',
  );
}

function registrationExists(id: string): ConflictError {
  return new ConflictError('REGISTRATION_EXISTS', `Registration ${id} already exists`);
}
