import { FixedClock } from '@app/common';
import { EVENTS_MIGRATIONS, EventOutbox, EventRepository, EventSignal } from '@app/events';
import { SCORM_CLOUD_MIGRATIONS } from '@app/scorm-cloud';
import { DataSource } from 'typeorm';

import { RegistrationProgressEntity } from '../libs/scorm-cloud/src/entities/registration-progress.entity';
import { RegistrationEntity } from '../libs/scorm-cloud/src/entities/registration.entity';
import { RegistrationProgressRepository } from '../libs/scorm-cloud/src/repositories/registration-progress.repository';
import { RegistrationProgressService } from '../libs/scorm-cloud/src/registrations/registration-progress.service';
import type { RegistrationProgressUpdate } from '../libs/scorm-cloud/src/registrations/registration-progress.types';
import { createTestDatabase, TestDatabase } from './support/test-database';

const T0 = new Date('2026-11-23T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/** The projection's ordering and authority rules (progress-merge.rule.ts), against a real database (SQLite, or PostgreSQL with TEST_DATABASE). */
describe('RegistrationProgressService.applyMany', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let clock: FixedClock;
  let service: RegistrationProgressService;
  let events: EventRepository;
  let sequence = 0;

  const registration = async () => {
    const id = `reg-${++sequence}`;
    await dataSource.getRepository(RegistrationEntity).insert({
      courseId: 'course-1',
      createdAt: T0,
      createdBy: 'test',
      id,
      instance: 0,
      learnerFirstName: 'Aino',
      learnerId: `learner-${sequence}`,
      learnerLastName: 'Virtanen',
      updatedAt: T0,
    });
    return id;
  };
  const update = (
    registrationId: string,
    fields: Partial<RegistrationProgressUpdate> = {},
  ): RegistrationProgressUpdate => ({
    completedDate: null,
    completion: 'INCOMPLETE',
    firstAccessDate: null,
    instance: 0,
    lastAccessDate: null,
    registrationId,
    score: null,
    source: 'postback',
    success: 'UNKNOWN',
    totalSeconds: null,
    updated: at(0),
    ...fields,
  });
  const stored = async (registrationId: string, instance = 0) =>
    dataSource.getRepository(RegistrationProgressEntity).findOneByOrFail({ instance, registrationId });
  const registrationRow = (id: string) => dataSource.getRepository(RegistrationEntity).findOneByOrFail({ id });

  beforeAll(async () => {
    database = await createTestDatabase();
    const url = database.url;
    const entities = {
      entities: [RegistrationEntity, RegistrationProgressEntity],
      migrations: [...EVENTS_MIGRATIONS, ...SCORM_CLOUD_MIGRATIONS],
    };
    dataSource = new DataSource(
      database.kind === 'postgres'
        ? { ...entities, type: 'postgres', url }
        : {
            ...entities,
            database: url.slice('sqlite:'.length),
            type: 'better-sqlite3',
          },
    );
    await dataSource.initialize();
    await dataSource.runMigrations();
    clock = new FixedClock(at(100));
    events = new EventRepository(dataSource);
    // The signal only wakes readers in a running app; the outbox rows are what this suite checks.
    const signal = { appendedIn: () => undefined } as unknown as EventSignal;
    service = new RegistrationProgressService(
      dataSource,
      new RegistrationProgressRepository(dataSource),
      clock,
      new EventOutbox(events, signal),
    );
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('applies a newer update, refuses an older or equal one, and reports an unknown registration', async () => {
    const id = await registration();
    expect(
      await service.applyMany([
        update(id, { score: 50, updated: at(10) }),
        update(id, { score: 40, updated: at(5) }),
        update(id, { score: 60, updated: at(20) }),
        update(id, { score: 70, updated: at(20) }),
        update('reg-nobody', { updated: at(30) }),
      ]),
    ).toEqual(['applied', 'stale', 'applied', 'stale', 'unknown_registration']);
    expect(await stored(id)).toMatchObject({ progressUpdatedAt: at(20), score: 60, source: 'postback' });
    expect(await registrationRow(id)).toMatchObject({ lastPostbackAt: at(100), progressSource: 'postback' });
    expect(await service.applyMany([update(id, { score: 10, updated: at(15) })])).toEqual(['stale']);
    expect(await dataSource.getRepository(RegistrationProgressEntity).countBy({ registrationId: 'reg-nobody' })).toBe(
      0,
    );
  });

  it('orders an untimed update by when it was observed: newer than every row written before, unless it changes nothing', async () => {
    // A v1 postback (no time of its own) arriving after an API read finished is the newer news (issue: results
    // were dropped as "stale" after any refresh, reset or reconciliation pass).
    const timed = await registration();
    clock.set(at(10));
    await service.applyMany([update(timed, { score: 50, source: 'api', updated: at(10) })]);
    clock.set(at(11));
    expect(await service.applyMany([update(timed, { observedAt: at(11), score: 90, updated: null })])).toEqual([
      'applied',
    ]);
    expect(await stored(timed)).toMatchObject({ progressUpdatedAt: null, score: 90, source: 'postback' });
    // ...and stays to be confirmed by the API: the registration is postback-sourced again.
    expect((await registrationRow(timed)).progressSource).toBe('postback');

    // A postback that arrived before the row was written (a late redelivery) does not replace it.
    clock.set(at(20));
    await service.applyMany([update(timed, { observedAt: at(20), score: 95, source: 'api', updated: null })]);
    expect(await service.applyMany([update(timed, { observedAt: at(15), score: 10, updated: null })])).toEqual([
      'stale',
    ]);

    const untimed = await registration();
    clock.set(at(30));
    expect(
      await service.applyMany([
        update(untimed, { score: 10, updated: null }),
        update(untimed, { score: 10, updated: null }),
        update(untimed, { score: 20, updated: null }),
      ]),
    ).toEqual(['applied', 'stale', 'applied']);
    expect(await service.applyMany([update(untimed, { score: 30, updated: at(1) })])).toEqual(['applied']);
    expect(await stored(untimed)).toMatchObject({ progressUpdatedAt: at(1), score: 30 });
  });

  it('lets an untimed API read replace what was written before it began, but not a postback that arrived during it', async () => {
    const id = await registration();
    clock.set(at(40));
    await service.applyMany([update(id, { observedAt: at(40), score: 70, updated: null })]);
    clock.set(at(45));
    // The read began at 42, after that postback: it is the newer news.
    expect(
      await service.applyMany([update(id, { observedAt: at(42), score: 65, source: 'api', updated: null })]),
    ).toEqual(['applied']);
    clock.set(at(50));
    await service.applyMany([update(id, { observedAt: at(50), score: 100, updated: null })]);
    clock.set(at(52));
    // This read began at 49, before the postback at 50 arrived: the postback stays, to be confirmed next pass.
    expect(
      await service.applyMany([update(id, { observedAt: at(49), score: 65, source: 'api', updated: null })]),
    ).toEqual(['stale']);
    expect(await stored(id)).toMatchObject({ score: 100, source: 'postback' });
    expect(await registrationRow(id)).toMatchObject({ lastPostbackAt: at(50), lastSyncedAt: at(49) });
  });

  it('keeps instances apart and records the bookkeeping on the registration', async () => {
    const id = await registration();
    clock.set(at(200));
    expect(
      await service.applyMany([update(id, { instance: 0, score: 1 }), update(id, { instance: 2, score: 2 })]),
    ).toEqual(['applied', 'applied']);
    expect((await stored(id, 0)).score).toBe(1);
    expect((await stored(id, 2)).score).toBe(2);
    expect(await registrationRow(id)).toMatchObject({
      instance: 2,
      lastPostbackAt: at(200),
      lastSyncedAt: null,
      progressSource: 'postback',
    });

    clock.set(at(300));
    expect(await service.applyMany([update(id, { instance: 2, score: 3, source: 'api', updated: at(0) })])).toEqual([
      'stale',
    ]);
    expect(await registrationRow(id)).toMatchObject({
      lastPostbackAt: at(200),
      lastSyncedAt: at(300),
      progressSource: 'postback',
      updatedAt: at(300),
    });
  });

  it('lets an API read replace postback-only data received before the read began, even when dated ahead', async () => {
    const id = await registration();
    clock.set(at(400));
    // Forged: dated a few minutes ahead of the real attempt.
    await service.applyMany([update(id, { score: 100, success: 'PASSED', updated: at(700) })]);
    clock.set(at(410));
    expect(
      await service.applyMany([
        update(id, { observedAt: at(405), score: 35, source: 'api', success: 'FAILED', updated: at(390) }),
      ]),
    ).toEqual(['applied']);
    expect(await stored(id)).toMatchObject({ progressUpdatedAt: at(390), score: 35, source: 'api', success: 'FAILED' });
    expect((await registrationRow(id)).progressSource).toBe('api');

    // API-confirmed data is not replaced by an older read, nor by an older postback.
    expect(
      await service.applyMany([update(id, { observedAt: at(420), score: 1, source: 'api', updated: at(380) })]),
    ).toEqual(['stale']);
    expect(await service.applyMany([update(id, { score: 2, updated: at(385) })])).toEqual(['stale']);
    expect((await stored(id)).score).toBe(35);
  });

  it('drops postback-only instances above the one the API reports, unless they arrived during the read', async () => {
    const id = await registration();
    clock.set(at(600));
    await service.applyMany([
      update(id, { instance: 0, score: 10, updated: at(590) }),
      update(id, { instance: 7, score: 100, success: 'PASSED', updated: at(595) }),
    ]);
    expect((await registrationRow(id)).instance).toBe(7);
    clock.set(at(610));
    expect(
      await service.applyMany([
        update(id, { instance: 0, observedAt: at(605), score: 20, source: 'api', updated: at(592) }),
      ]),
    ).toEqual(['applied']);
    const rows = await dataSource.getRepository(RegistrationProgressEntity).findBy({ registrationId: id });
    expect(rows.map((row) => [row.instance, row.score, row.source])).toEqual([[0, 20, 'api']]);
    expect((await registrationRow(id)).instance).toBe(0);

    // A new attempt reported while the next read was under way stays.
    clock.set(at(620));
    await service.applyMany([update(id, { instance: 1, score: 50, updated: at(619) })]);
    clock.set(at(625));
    await service.applyMany([
      update(id, { instance: 0, observedAt: at(615), score: 20, source: 'api', updated: at(592) }),
    ]);
    expect((await stored(id, 1)).score).toBe(50);
    expect((await registrationRow(id)).instance).toBe(1);
  });

  it('keeps a postback received after the API read began against that older read', async () => {
    const id = await registration();
    clock.set(at(500));
    await service.applyMany([update(id, { score: 80, updated: at(499) })]);
    clock.set(at(510));
    expect(
      await service.applyMany([update(id, { observedAt: at(495), score: 20, source: 'api', updated: at(450) })]),
    ).toEqual(['stale']);
    expect(await stored(id)).toMatchObject({ score: 80, source: 'postback' });
    // Synced as of the read's start, which is before that postback: reconciliation checks it again.
    expect(await registrationRow(id)).toMatchObject({ lastPostbackAt: at(500), lastSyncedAt: at(495) });
    // A read that saw even newer data still wins by its `updated`.
    expect(
      await service.applyMany([update(id, { observedAt: at(495), score: 90, source: 'api', updated: at(505) })]),
    ).toEqual(['applied']);
    expect(await stored(id)).toMatchObject({ score: 90, source: 'api' });
  });

  it('announces each change in the outbox with what it replaced, completion once, and nothing for a repeat', async () => {
    const id = await registration();
    const from = await events.latestSeq();
    const payloads = async () =>
      (await events.after(from, 100, { registrationIds: [id] })).map((event) => JSON.parse(event.payload));
    await service.applyMany([update(id, { score: 40, updated: at(10) })]);
    await service.applyMany([update(id, { score: 40, updated: at(11) })]);
    await service.applyMany([
      update(id, { completion: 'COMPLETED', score: 90, success: 'PASSED', totalSeconds: 120, updated: at(20) }),
      update(id, { score: 30, updated: at(5) }),
    ]);
    await service.applyMany([
      update(id, { completion: 'COMPLETED', score: 95, success: 'PASSED', totalSeconds: 130, updated: at(30) }),
    ]);
    const announced = await payloads();
    expect(announced.map((event) => event.type)).toEqual([
      'registration.progress_changed',
      'registration.progress_changed',
      'registration.completed',
      'registration.progress_changed',
    ]);
    expect(announced[0].data).toMatchObject({
      course_id: 'course-1',
      current: { completion: 'INCOMPLETE', score: 40 },
      learner_id: expect.stringMatching(/^learner-/),
      previous: null,
      registration_id: id,
    });
    expect(announced[1].data).toMatchObject({
      current: { completion: 'COMPLETED', score: 90, success: 'PASSED', total_seconds: 120 },
      previous: { completion: 'INCOMPLETE', score: 40 },
    });
    expect(announced[2].data).toMatchObject({ registration_id: id, score: 90, success: 'PASSED' });
    expect(announced[3].data).toMatchObject({ current: { score: 95 }, previous: { score: 90 } });
    expect(announced.every((event) => event.timestamp === clock.now().toISOString())).toBe(true);
  });

  it('runs inside the caller transaction: a rollback leaves nothing behind', async () => {
    const id = await registration();
    await expect(
      dataSource.transaction(async (manager) => {
        expect(await service.applyMany([update(id, { score: 5 })], manager)).toEqual(['applied']);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await dataSource.getRepository(RegistrationProgressEntity).countBy({ registrationId: id })).toBe(0);
    expect((await registrationRow(id)).lastPostbackAt).toBeNull();
  });
});
