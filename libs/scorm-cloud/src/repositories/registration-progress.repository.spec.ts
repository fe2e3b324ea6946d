import { DataSource } from 'typeorm';

import { RegistrationProgressEntity } from '../entities/registration-progress.entity';
import { PROGRESS_COLUMNS } from './registration-progress.repository';

describe('RegistrationProgressRepository', () => {
  it('writes exactly the columns the entity maps', async () => {
    const dataSource = new DataSource({
      database: ':memory:',
      entities: [RegistrationProgressEntity],
      type: 'better-sqlite3',
    });
    await dataSource.initialize();
    try {
      const mapped = dataSource.getMetadata(RegistrationProgressEntity).columns.map((column) => column.databaseName);
      expect([...PROGRESS_COLUMNS].sort()).toEqual(mapped.sort());
    } finally {
      await dataSource.destroy();
    }
  });
});
