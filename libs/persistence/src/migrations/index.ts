import { CreateJobLeases1764400000000 } from './1764400000000-create-job-leases.migration';
import { CreateRetentionMarks1764610000000 } from './1764610000000-create-retention-marks.migration';

/** The platform's own tables; PersistenceModule runs them with every library's migrations. */
export const PERSISTENCE_MIGRATIONS: Function[] = [CreateJobLeases1764400000000, CreateRetentionMarks1764610000000];
