import { ConflictError } from '@app/common';
import type { Logger } from '@nestjs/common';

import type { NewRegistration } from './scorm-cloud.transport';

export interface RegistrationOwner {
  courseId: string;
  learnerId: string;
}

/**
 * A create that timed out may still have landed on SCORM Cloud, so a retry of the same id is refused (v2
 * documents 400 for a refused createRegistration, v1 answers error 2). When SCORM Cloud holds that id for the same
 * course and learner, it is the registration asked for (its postback URL carries the same registration's token and
 * our credentials) and is adopted; for another course or learner the create is refused as a conflict; when SCORM
 * Cloud has no such registration, the refusal had another cause and `refusal` is what the caller gets.
 */
export async function adoptEarlierCreate(
  refusal: unknown,
  registration: NewRegistration,
  readOwner: () => Promise<RegistrationOwner | null>,
  logger: Logger,
): Promise<void> {
  let owner: RegistrationOwner | null;
  try {
    owner = await readOwner();
  } catch {
    throw refusal;
  }
  if (!owner) throw refusal;
  const id = registration.registrationId;
  if (owner.courseId === registration.courseId && owner.learnerId === registration.learner.id) {
    logger.warn(`Registration ${id} already existed on SCORM Cloud for the same course and learner; adopted`);
    return;
  }
  throw new ConflictError(
    'REGISTRATION_EXISTS_UPSTREAM',
    `SCORM Cloud already has a registration ${id} for another course or learner`,
  );
}
