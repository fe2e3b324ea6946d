/** This library's migrations, in order; the app passes them to PersistenceModule. */
export const BAZAAR_MIGRATIONS: Function[] = [];
