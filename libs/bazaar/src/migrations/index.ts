import { CreateBazaarTables1763870400000 } from './1763870400000-create-bazaar-tables.migration';
import { AddMaterialListIndex1764610000000 } from './1764610000000-add-material-list-index.migration';

/** This library's migrations, in order; the app passes them to PersistenceModule. */
export const BAZAAR_MIGRATIONS: Function[] = [CreateBazaarTables1763870400000, AddMaterialListIndex1764610000000];
