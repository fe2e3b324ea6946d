/** This library's migrations, in order; the app passes them to PersistenceModule. */
export const SCORM_CLOUD_MIGRATIONS: Function[] = [];
