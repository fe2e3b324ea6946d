export * from './entities/registration.entity';
export * from './migrations';
export * from './registrations/registration-progress.service';
export type { ProgressApplyResult, RegistrationProgressUpdate } from './registrations/registration-progress.types';
export * from './registrations/registrations.service';
export * from './scorm-cloud.module';
export * from './tokens/postback-token.service';
export { ScormCloudV1Signer, computeV1Signature, formatV1Timestamp } from './transport/scorm-cloud-v1.signer';
