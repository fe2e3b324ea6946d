import { CreateScormRegistrations1763870400000 } from './1763870400000-create-scorm-registrations.migration';
import { AddRegistrationDeletedUpstream1764300000000 } from './1764300000000-add-registration-deleted-upstream.migration';
import { CreateScormCourseImports1764500100000 } from './1764500100000-create-scorm-course-imports.migration';
import { CreateLearnerDeletions1764610000000 } from './1764610000000-create-learner-deletions.migration';

/** This library's migrations, in order; the app passes them to PersistenceModule. */
export const SCORM_CLOUD_MIGRATIONS: Function[] = [
  CreateScormRegistrations1763870400000,
  AddRegistrationDeletedUpstream1764300000000,
  CreateScormCourseImports1764500100000,
  CreateLearnerDeletions1764610000000,
];
