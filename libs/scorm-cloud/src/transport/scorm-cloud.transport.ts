import { NotFoundError } from '@app/common';
import type { Readable } from 'node:stream';

import type { RegistrationProgressUpdate } from '../registrations/registration-progress.types';

export interface ScormCourse {
  id: string;
  title: string;
  version: number | null;
  registrationCount: number | null;
  learningStandard: string | null;
  updated: Date | null;
}

export type ImportJobStatus = 'RUNNING' | 'COMPLETE' | 'ERROR';

export interface ImportJob {
  jobId: string;
  status: ImportJobStatus;
  courseId: string | null;
  title: string | null;
  message: string | null;
}

export interface CourseUpload {
  courseId: string;
  /** The zip, streamed straight through; never buffered whole. */
  file: Readable;
  filename: string;
  /** Byte length when known (lets the upstream see Content-Length). */
  size?: number;
  mayCreateNewVersion: boolean;
}

export interface NewRegistration {
  registrationId: string;
  courseId: string;
  learner: { id: string; firstName: string; lastName: string };
  postback: { url: string; username: string; password: string };
}

export interface LaunchRequest {
  redirectUrl?: string;
  expirySeconds: number;
}

export interface LaunchLink {
  url: string;
  expiresAt: Date;
}

/** What SCORM Cloud was asked to erase for a learner, as the deletion receipt reports it. */
export interface UpstreamLearnerErasure {
  api: 'v1' | 'v2';
  /** The request(s) sent, e.g. `rustici.registration.deleteRegistration`. */
  request: string;
  /** v2's PII deletion runs asynchronously (accepted: started); v1's deletes are done when answered. */
  status: 'accepted' | 'deleted';
  /** The gateway's registrations of the learner deleted there, and those SCORM Cloud no longer had. */
  registrationsDeleted?: number;
  registrationsAlreadyGone?: number;
}

/**
 * Deletes each registration with `remove`, one after another; "no such registration" (NotFoundError) counts as one
 * already gone, any other failure stops the erasure (nothing is erased locally then, and a repeat finds those
 * deleted so far gone).
 */
export async function deleteRegistrationsUpstream(
  registrationIds: string[],
  remove: (registrationId: string) => Promise<void>,
): Promise<Required<Pick<UpstreamLearnerErasure, 'registrationsAlreadyGone' | 'registrationsDeleted'>>> {
  let deleted = 0;
  let gone = 0;
  for (const id of registrationIds) {
    try {
      await remove(id);
      deleted++;
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      gone++;
    }
  }
  return { registrationsAlreadyGone: gone, registrationsDeleted: deleted };
}

/**
 * What the gateway needs from SCORM Cloud; the v2 REST client and the v1 signed-API client both provide it. Where the
 * two APIs differ (see README, "v1 and v2"), each client does what its own API documents.
 */
export interface ScormCloudTransport {
  listCourses(): Promise<ScormCourse[]>;
  deleteCourse(courseId: string): Promise<void>;
  /** Refuses (409 SCORM_CLOUD_CONFLICT) an existing course id unless `mayCreateNewVersion`. */
  startImport(upload: CourseUpload): Promise<{ jobId: string }>;
  importJob(jobId: string): Promise<ImportJob>;
  /**
   * Creates the registration, or adopts the one an earlier attempt with the same id left on SCORM Cloud when its
   * course and learner match (REGISTRATION_EXISTS_UPSTREAM when they do not).
   */
  createRegistration(registration: NewRegistration): Promise<void>;
  /** Progress of the latest instance, as an API-sourced update. */
  registrationProgress(registrationId: string): Promise<RegistrationProgressUpdate>;
  deleteRegistration(registrationId: string): Promise<void>;
  resetRegistration(registrationId: string): Promise<void>;
  launchLink(registrationId: string, request: LaunchRequest): Promise<LaunchLink>;
  /**
   * Asks SCORM Cloud to erase a learner's data: both delete the learner's registrations (`registrationIds`, the ones
   * the gateway knows); v2 then also starts its learner PII deletion (on behalf of `realmUserEmail`), which v1 lacks.
   */
  eraseLearner(learnerId: string, registrationIds: string[], realmUserEmail?: string): Promise<UpstreamLearnerErasure>;
}

export const SCORM_CLOUD_TRANSPORT = Symbol('SCORM_CLOUD_TRANSPORT');
