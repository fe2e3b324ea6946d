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

/** What the gateway needs from SCORM Cloud; the v2 REST client and the v1 signed-API client both provide it. */
export interface ScormCloudTransport {
  readonly api: 'v1' | 'v2';
  ping(): Promise<void>;
  listCourses(): Promise<ScormCourse[]>;
  deleteCourse(courseId: string): Promise<void>;
  startImport(upload: CourseUpload): Promise<{ jobId: string }>;
  importJob(jobId: string): Promise<ImportJob>;
  createRegistration(registration: NewRegistration): Promise<void>;
  registrationExists(registrationId: string): Promise<boolean>;
  /** Course and learner of an existing registration (null when it does not exist). */
  registrationOwner(
    registrationId: string,
    hint: { courseId: string; learnerId: string },
  ): Promise<{
    courseId: string;
    learnerId: string;
  } | null>;
  /** Progress of the latest instance, as an API-sourced update. */
  registrationProgress(registrationId: string): Promise<RegistrationProgressUpdate>;
  deleteRegistration(registrationId: string): Promise<void>;
  resetRegistration(registrationId: string): Promise<void>;
  launchLink(registrationId: string, request: LaunchRequest): Promise<LaunchLink>;
}

export const SCORM_CLOUD_TRANSPORT = Symbol('SCORM_CLOUD_TRANSPORT');
