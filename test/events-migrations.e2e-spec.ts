import { EVENTS_MIGRATIONS } from '@app/events';
import { DataSource } from 'typeorm';

import { TestDatabase, createTestDatabase } from './support/test-database';

/** The outbox's data migrations, run on rows stored before them (SQLite, or PostgreSQL with TEST_DATABASE=postgres). */
describe('events migrations', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    const url = database.url;
    dataSource = new DataSource(
      database.kind === 'postgres'
        ? { migrations: EVENTS_MIGRATIONS, type: 'postgres', url }
        : { database: url.slice('sqlite:'.length), migrations: EVENTS_MIGRATIONS, type: 'better-sqlite3' },
    );
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('names the user who acted on material events stored before events had an actor, and only there', async () => {
    await dataSource.runMigrations();
    await dataSource.undoLastMigration();
    const insert = (id: string, type: string, data: Record<string, unknown>, learnerId: string | null = null) =>
      dataSource.query(
        database.kind === 'postgres'
          ? 'INSERT INTO events (id, type, occurred_at, learner_id, context_id, payload) VALUES ($1, $2, $3, $4, $5, $6)'
          : 'INSERT INTO events (id, type, occurred_at, learner_id, context_id, payload) VALUES (?, ?, ?, ?, ?, ?)',
        [
          id,
          type,
          '2026-11-01T00:00:00.000Z',
          learnerId,
          'course-m',
          JSON.stringify({ data: { context_id: 'course-m', ...data }, timestamp: '2026-11-01T00:00:00.000Z', type }),
        ],
      );
    await insert('evt_added', 'bazaar.material_added', { added_by: 'teacher-m', material_uid: 'm1', name: 'M' });
    await insert('evt_added_anon', 'bazaar.material_added', { added_by: '', material_uid: 'm2', name: 'M' });
    await insert('evt_removed', 'bazaar.material_removed', { material_uid: 'm1', removed_by: 'user:teacher-r' });
    await insert('evt_removed_key', 'bazaar.material_removed', { material_uid: 'm1', removed_by: 'api-key:lms' });
    await insert('evt_progress', 'registration.progress_changed', { added_by: 'not-a-material' }, 'learner-p');

    await dataSource.runMigrations();

    const rows: { id: string; actor_id: string | null; learner_id: string | null }[] = await dataSource.query(
      'SELECT id, actor_id, learner_id FROM events ORDER BY id',
    );
    expect(Object.fromEntries(rows.map((row) => [row.id, [row.actor_id, row.learner_id]]))).toEqual({
      evt_added: ['teacher-m', null],
      evt_added_anon: [null, null],
      evt_progress: [null, 'learner-p'],
      evt_removed: ['teacher-r', null],
      evt_removed_key: [null, null],
    });
  });
});
