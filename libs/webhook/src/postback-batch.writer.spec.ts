import type { RegistrationProgressService, RegistrationProgressUpdate } from '@app/scorm-cloud';
import type { DataSource, EntityManager } from 'typeorm';

import { EVENT_COLUMNS, PostbackBatchWriter, PostbackRecord, REGISTRATION_COLUMNS } from './postback-batch.writer';

/** Parameters per row: the event's values, then the registration id once per column copied from it. */
const COLUMNS = EVENT_COLUMNS.length + REGISTRATION_COLUMNS.length;

function record(registrationId: string, updated = '2026-11-22T10:00:00.000Z'): PostbackRecord {
  return {
    authMethod: 'basic',
    bodyHash: registrationId,
    contentType: 'application/json',
    dedupKey: `0|${updated}|${registrationId}`,
    method: 'POST',
    progress: {
      completedDate: null,
      completion: 'INCOMPLETE',
      firstAccessDate: null,
      instance: 0,
      lastAccessDate: null,
      registrationId,
      score: null,
      success: 'UNKNOWN',
      totalSeconds: null,
      updated: new Date(updated),
    },
    rawBody: '{}',
    receivedAt: new Date(),
    shape: 'v2_json',
    tokenVerified: false,
  };
}

/** A database that records transactions and treats every dedup key it has committed (or seen in this one) as a conflict. */
function fakes(type: 'better-sqlite3' | 'postgres' = 'better-sqlite3') {
  let seenKeys = new Set<string>();
  const stats = {
    applied: [] as string[][],
    inFlight: 0,
    maxInFlight: 0,
    outcomes: [] as unknown[][],
    transactions: 0,
  };
  const manager = {
    connection: { options: { type } },
    query: async (sql: string, params: unknown[]) => {
      if (sql.startsWith('UPDATE')) {
        stats.outcomes.push(params);
        return [];
      }
      const inserted: { id: string }[] = [];
      for (let at = 0; at < params.length; at += COLUMNS) {
        const key = params[at + 7] as string;
        if (!seenKeys.has(key)) {
          seenKeys.add(key);
          inserted.push({ id: params[at] as string });
        }
      }
      return inserted;
    },
  } as unknown as EntityManager;
  const dataSource = {
    options: { type },
    transaction: async <T>(work: (m: EntityManager) => Promise<T>): Promise<T> => {
      stats.transactions++;
      stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
      const committed = new Set(seenKeys);
      try {
        await new Promise((resolve) => setTimeout(resolve, 2));
        return await work(manager);
      } catch (error) {
        seenKeys = committed;
        throw error;
      } finally {
        stats.inFlight--;
      }
    },
  } as unknown as DataSource;
  const progress = {
    applyMany: async (updates: RegistrationProgressUpdate[]) => {
      stats.applied.push(updates.map((u) => u.registrationId));
      if (updates.some((u) => u.registrationId === 'breaks-the-batch')) throw new Error('constraint violated');
      return updates.map((u) => (u.registrationId.startsWith('unknown') ? 'unknown_registration' : 'applied'));
    },
  } as unknown as RegistrationProgressService;
  return { stats, writer: new PostbackBatchWriter(dataSource, progress) };
}

describe('PostbackBatchWriter', () => {
  it('commits postbacks that arrive together in one transaction and answers each with its own result', async () => {
    const { stats, writer } = fakes();
    const results = await Promise.all([
      writer.store(record('reg-a')),
      writer.store(record('unknown-b')),
      writer.store(record('reg-a')),
    ]);
    expect(stats.transactions).toBe(1);
    expect(results.map(({ duplicate, outcome }) => ({ duplicate, outcome }))).toEqual([
      { duplicate: false, outcome: 'applied' },
      { duplicate: false, outcome: 'unknown_registration' },
      { duplicate: true, outcome: 'stale' },
    ]);
    // The repeat never reaches progress; the one row that did not apply gets its outcome set afterwards.
    expect(stats.applied).toEqual([['reg-a', 'unknown-b']]);
    expect(stats.outcomes).toEqual([['unknown_registration', 1, results[1].eventId]]);
  });

  it('keeps a re-delivery of an already stored postback away from progress', async () => {
    const { stats, writer } = fakes();
    await writer.store(record('reg-a'));
    const again = await writer.store(record('reg-a'));
    expect(again).toMatchObject({ duplicate: true, outcome: 'stale' });
    expect(stats.transactions).toBe(2);
    expect(stats.applied).toEqual([['reg-a']]);
  });

  it('on SQLite never runs two transactions at once, however many postbacks queue up', async () => {
    const { stats, writer } = fakes();
    const all = [];
    for (let i = 0; i < 50; i++) {
      all.push(writer.store(record(`reg-${i}`)));
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(all);
    expect(stats.maxInFlight).toBe(1);
    expect(stats.transactions).toBeLessThan(50);
  });

  it('on PostgreSQL runs a few batches side by side, each sorted by registration', async () => {
    const { stats, writer } = fakes('postgres');
    const all = [];
    for (let i = 0; i < 40; i++) {
      all.push(writer.store(record(`reg-${(i * 7) % 40}`)));
      // Spread over longer than the 1 ms a PostgreSQL batch waits for company.
      if (i % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(all);
    expect(stats.maxInFlight).toBeGreaterThan(1);
    expect(stats.maxInFlight).toBeLessThanOrEqual(2);
    for (const batch of stats.applied) expect(batch).toEqual([...batch].sort());
  });

  it('retries a failed batch one postback at a time, so only the bad one is refused', async () => {
    const { writer } = fakes();
    const [good, bad] = await Promise.allSettled([
      writer.store(record('reg-good')),
      writer.store(record('breaks-the-batch')),
    ]);
    expect(good).toMatchObject({ status: 'fulfilled', value: { duplicate: false, outcome: 'applied' } });
    expect(bad).toMatchObject({ reason: new Error('constraint violated'), status: 'rejected' });
  });

  it('commits what is queued before the application shuts down', async () => {
    const { stats, writer } = fakes();
    const pending = writer.store(record('reg-late'));
    await writer.beforeApplicationShutdown();
    expect(stats.transactions).toBe(1);
    await expect(pending).resolves.toMatchObject({ duplicate: false });
  });
});

describe('PostbackBatchWriter columns', () => {
  it('inserts exactly the columns the entity maps', async () => {
    const { DataSource: RealDataSource } = await import('typeorm');
    const { WebhookEventEntity } = await import('./entities/webhook-event.entity');
    const dataSource = new RealDataSource({
      database: ':memory:',
      entities: [WebhookEventEntity],
      type: 'better-sqlite3',
    });
    await dataSource.initialize();
    try {
      const mapped = dataSource.getMetadata(WebhookEventEntity).columns.map((column) => column.databaseName);
      expect([...EVENT_COLUMNS, ...REGISTRATION_COLUMNS].sort()).toEqual(mapped.sort());
    } finally {
      await dataSource.destroy();
    }
  });
});
