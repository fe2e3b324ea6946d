import { RegistrationEntity } from '@app/scorm-cloud';
import { DataSource } from 'typeorm';

import type { RunningGateway } from './stack';

/**
 * A registration the gateway already knows (Aino Virtanen in course-1), written straight to its database so a
 * postback suite needs no SCORM Cloud round trip first. Returns the id.
 */
export async function insertRegistration(
  gateway: Pick<RunningGateway, 'app'>,
  id: string,
  overrides: Partial<RegistrationEntity> = {},
): Promise<string> {
  const at = new Date();
  await gateway.app
    .get(DataSource)
    .getRepository(RegistrationEntity)
    .insert({
      contextId: 'course-ctx',
      courseId: 'course-1',
      createdAt: at,
      createdBy: 'teacher-1',
      id,
      instance: 0,
      learnerFirstName: 'Aino',
      learnerId: 'learner-9',
      learnerLastName: 'Virtanen',
      updatedAt: at,
      ...overrides,
    });
  return id;
}
