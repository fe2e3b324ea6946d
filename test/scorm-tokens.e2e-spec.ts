import {
  PostbackTokenService,
  RegistrationEntity,
  RegistrationProgressService,
  RegistrationProgressUpdate,
  RegistrationsService,
} from '@app/scorm-cloud';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { insertRegistration } from './support/registrations';
import { RunningGateway, TEST_SECRETS, startGateway } from './support/stack';
import { TEST_API_KEY, bearer, userToken } from './support/tokens';

describe('SCORM tokens, JWKS and the progress projection', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway?.close());

  describe('tokens', () => {
    it('issues an RS256 token that the published JWKS verifies', async () => {
      const res = await request(gateway.url).post('/api/v1/scorm/token').set(bearer(TEST_API_KEY)).expect(200);
      expect(res.body.token_type).toBe('Bearer');
      const expiresAt = new Date(res.body.expires_at).getTime();
      expect(Math.abs(expiresAt - (Date.now() + 3600_000))).toBeLessThan(10_000);

      const jwks = createRemoteJWKSet(new URL(`${gateway.url}/.well-known/jwks.json`));
      const { payload, protectedHeader } = await jwtVerify(res.body.token, jwks, {
        algorithms: ['RS256'],
        audience: 'SCORM',
        issuer: TEST_SECRETS.scormAppId,
      });
      expect(payload.sub).toBe(TEST_SECRETS.scormAppId);
      expect(protectedHeader.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('publishes the JWKS without authentication, with kid, alg and use', async () => {
      const res = await request(gateway.url).get('/.well-known/jwks.json').expect(200);
      expect(res.body.keys).toHaveLength(1);
      expect(res.body.keys[0]).toMatchObject({ alg: 'RS256', kty: 'RSA', use: 'sig' });
      expect(res.body.keys[0].d).toBeUndefined();
    });

    it('refuses the token route to non-admins', async () => {
      const teacher = await userToken('t1', 'teacher');
      const res = await request(gateway.url).post('/api/v1/scorm/token').set(bearer(teacher)).expect(403);
      expect(res.body.code).toBe('ROLE_FORBIDDEN');
      await request(gateway.url).post('/api/v1/scorm/token').expect(401);
    });

    it('signs postback tokens that verify to their registration and refuses others', async () => {
      const postback = gateway.app.get(PostbackTokenService);
      const token = await postback.sign('reg-42');
      expect(decodeProtectedHeader(token).alg).toBe('RS256');
      await expect(postback.verify(token)).resolves.toEqual({ registrationId: 'reg-42' });
      const api = await request(gateway.url).post('/api/v1/scorm/token').set(bearer(TEST_API_KEY));
      // A token for another audience (the webhook guide's SCORM token) is not a postback token.
      await expect(postback.verify(api.body.token)).rejects.toMatchObject({ code: 'POSTBACK_TOKEN_INVALID' });
      await expect(postback.verify(`${token.slice(0, -4)}AAAA`)).rejects.toMatchObject({
        code: 'POSTBACK_TOKEN_INVALID',
      });
    });
  });

  describe('RegistrationProgressService.applyMany', () => {
    const base = (overrides: Partial<RegistrationProgressUpdate> = {}): RegistrationProgressUpdate => ({
      completedDate: null,
      completion: 'INCOMPLETE',
      firstAccessDate: new Date('2026-11-23T10:00:00.000Z'),
      instance: 0,
      lastAccessDate: new Date('2026-11-23T10:05:00.000Z'),
      registrationId: 'reg-proj-1',
      score: null,
      source: 'postback',
      success: 'UNKNOWN',
      totalSeconds: 60,
      updated: new Date('2026-11-23T10:05:00.000Z'),
      ...overrides,
    });

    beforeAll(async () => {
      for (const id of ['reg-proj-1', 'reg-proj-2']) await insertRegistration(gateway, id);
    });

    it('applies, ignores older and equal updates, and reports unknown registrations', async () => {
      const service = gateway.app.get(RegistrationProgressService);
      const newer = base({
        completedDate: new Date('2026-11-23T10:15:30.000Z'),
        completion: 'COMPLETED',
        score: 85,
        success: 'PASSED',
        updated: new Date('2026-11-23T10:15:30.000Z'),
      });
      expect(await service.applyMany([newer])).toEqual(['applied']);
      expect(await service.applyMany([base(), newer, base({ registrationId: 'nope' })])).toEqual([
        'stale',
        'stale',
        'unknown_registration',
      ]);
      const rows = (await service.progressOf(['reg-proj-1'])).get('reg-proj-1') ?? [];
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ completion: 'COMPLETED', score: 85, source: 'postback', success: 'PASSED' });
      const registration = await gateway.app
        .get(DataSource)
        .getRepository(RegistrationEntity)
        .findOneByOrFail({ id: 'reg-proj-1' });
      expect(registration.progressSource).toBe('postback');
      expect(registration.lastPostbackAt).toBeInstanceOf(Date);
    });

    it('overwrites an existing row only with a newer update', async () => {
      const service = gateway.app.get(RegistrationProgressService);
      const later = base({
        completion: 'COMPLETED',
        score: 40,
        source: 'api',
        success: 'FAILED',
        updated: new Date('2026-11-23T11:00:00.000Z'),
      });
      expect(await service.applyMany([later])).toEqual(['applied']);
      const rows = (await service.progressOf(['reg-proj-1'])).get('reg-proj-1') ?? [];
      expect(rows[0]).toMatchObject({ score: 40, source: 'api', success: 'FAILED' });
      expect(rows[0].progressUpdatedAt?.toISOString()).toBe('2026-11-23T11:00:00.000Z');
      // An untimed update that arrived before this row was written does not replace it.
      expect(
        await service.applyMany([base({ observedAt: new Date('2026-11-23T11:00:00.000Z'), score: 99, updated: null })]),
      ).toEqual(['stale']);
    });

    it('keeps one row per instance and runs inside the caller transaction', async () => {
      const service = gateway.app.get(RegistrationProgressService);
      const dataSource = gateway.app.get(DataSource);
      await expect(
        dataSource.transaction(async (tx) => {
          await service.applyMany([base({ instance: 1, registrationId: 'reg-proj-2' })], tx);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect((await service.progressOf(['reg-proj-2'])).get('reg-proj-2')).toBeUndefined();

      await dataSource.transaction((tx) =>
        service.applyMany(
          [base({ instance: 0, registrationId: 'reg-proj-2' }), base({ instance: 1, registrationId: 'reg-proj-2' })],
          tx,
        ),
      );
      const rows = (await service.progressOf(['reg-proj-2'])).get('reg-proj-2') ?? [];
      expect(rows.map((row) => row.instance)).toEqual([0, 1]);
    });

    it('lists launched registrations whose postback is overdue', async () => {
      const repo = gateway.app.get(DataSource).getRepository(RegistrationEntity);
      const launchedAt = new Date(Date.now() - 10 * 60_000);
      await repo.update({ id: 'reg-proj-1' }, { lastPostbackAt: new Date(launchedAt.getTime() - 1000), launchedAt });
      const scorm = gateway.app.get(RegistrationsService);
      await repo.update({ id: 'reg-proj-1' }, { lastSyncedAt: new Date(launchedAt.getTime() - 1000) });
      expect(await scorm.toReconcile(new Date(), 5 * 60_000, 10)).toContain('reg-proj-1');
      expect(await scorm.toReconcile(new Date(), 15 * 60_000, 10)).not.toContain('reg-proj-1');
      await repo.update({ id: 'reg-proj-1' }, { lastSyncedAt: new Date(), launchedAt: null });
    });

    it('lists postback-only registrations for reconciliation until the API confirms them', async () => {
      const scorm = gateway.app.get(RegistrationsService);
      const ids = await scorm.toReconcile(new Date(), 60_000, 10);
      // reg-proj-1 was confirmed by an API read above; reg-proj-2 has only postback progress.
      expect(ids).toEqual(['reg-proj-2']);
      // An API read that finds nothing newer still counts as confirmation.
      const confirm = base({ registrationId: 'reg-proj-2', source: 'api' });
      expect(await gateway.app.get(RegistrationProgressService).applyMany([confirm])).toEqual(['stale']);
      expect(await scorm.toReconcile(new Date(), 60_000, 10)).toEqual([]);
    });
  });
});
