import { CreateAuthFailures1764400100000 } from './1764400100000-create-auth-failures.migration';

/** This library's migrations, in order; the app passes them to PersistenceModule. */
export const AUTH_MIGRATIONS: Function[] = [CreateAuthFailures1764400100000];
