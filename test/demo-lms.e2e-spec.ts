import request from 'supertest';

import { freePort } from './support/free-port';
import { RunningStack, startGateway, startSandbox } from './support/stack';
import { TEST_API_KEY } from './support/tokens';

describe('demo LMS page (sandbox) against the gateway', () => {
  let stack: RunningStack;
  let sandboxOrigin: string;

  beforeAll(async () => {
    // As npm start does: the browser page's origin (the sandbox) is allowed by the gateway's CORS.
    const gatewayPort = await freePort();
    const sandbox = await startSandbox({ SANDBOX_GATEWAY_URL: `http://127.0.0.1:${gatewayPort}` });
    sandboxOrigin = sandbox.url;
    const gateway = await startGateway({
      overrides: { CORS_ORIGINS: `https://cloud.scorm.com,${sandboxOrigin}` },
      port: gatewayPort,
      sandboxPort: sandbox.port,
    }).catch(async (error: unknown) => {
      await sandbox.close();
      throw error;
    });
    stack = { close: () => gateway.close().then(() => sandbox.close()), gateway, sandbox };
  });
  afterAll(() => stack?.close());

  it('serves the page and its script and style, and nothing else from the asset folder', async () => {
    const page = await request(stack.sandbox.url).get('/demo').expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    for (const id of ['user-select', 'course-select', 'add-material', 'materials', 'scorm-courses']) {
      expect(page.text).toContain(`data-testid="${id}"`);
    }
    const script = await request(stack.sandbox.url).get('/demo/assets/demo-lms.js').expect(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.text).toContain('/api/v1/bazaar/browse');
    await request(stack.sandbox.url)
      .get('/demo/assets/demo-lms.css')
      .expect(200)
      .expect('Content-Type', /text\/css/);
    await request(stack.sandbox.url).get('/demo/assets/sandbox.config.js').expect(404);
    await request(stack.sandbox.url).get('/demo/assets/..%2Fdemo-lms.module.js').expect(404);
  });

  it('tells the page where the gateway is, who the demo users are, and which courses exist', async () => {
    const { body } = await request(stack.sandbox.url).get('/demo/config').expect(200);
    expect(body.gateway_url).toBe(stack.gateway.url);
    expect(body.users.map((u: { role: string }) => u.role)).toEqual(expect.arrayContaining(['teacher', 'student']));
    expect(body.courses.length).toBeGreaterThan(0);
    expect(JSON.stringify(body)).not.toContain(stack.sandbox.config.demo.lmsJwtSecret);
  });

  it('imports a sample SCORM course through the gateway the first time SCORM Cloud has none, once', async () => {
    const [first, second] = await Promise.all([
      request(stack.sandbox.url).get('/demo/config').expect(200),
      request(stack.sandbox.url).get('/demo/config').expect(200),
    ]);
    for (const { body } of [first, second]) {
      expect(body.scorm_error).toBeNull();
      expect(body.scorm_courses).toEqual([{ course_id: 'demo-photosynthesis', title: 'Photosynthesis in 5 minutes' }]);
    }
    const courses = await request(stack.gateway.url)
      .get('/api/v1/scorm/courses')
      .set('Authorization', `Bearer ${TEST_API_KEY}`)
      .expect(200);
    expect(courses.body.courses).toEqual([expect.objectContaining({ id: 'demo-photosynthesis' })]);
  });

  it('mints scoped user tokens that the gateway accepts with the right user, role and scope', async () => {
    for (const [key, userId, role, givenName] of [
      ['teacher', 'tiina.teacher', 'teacher', 'Tiina'],
      ['student', 'sami.student', 'student', 'Sami'],
    ]) {
      const minted = await request(stack.sandbox.url).get(`/demo/token?user=${key}`).expect(200);
      expect(Date.parse(minted.body.expires_at)).toBeGreaterThan(Date.now());
      const me = await request(stack.gateway.url)
        .get('/api/v1/me')
        .set('Authorization', `Bearer ${minted.body.token}`)
        .expect(200);
      expect(me.body).toEqual({
        city_id: '091',
        contexts: ['bio-7a-2026', 'hist-8b-2026'],
        email: minted.body.user.email,
        family_name: minted.body.user.last_name,
        given_name: givenName,
        kind: 'user',
        role,
        school_id: '00913',
        unscoped: false,
        user_id: userId,
      });
    }
    await request(stack.sandbox.url).get('/demo/token?user=nobody').expect(404);
  });

  it('lists a course through the gateway with a demo token', async () => {
    const { body } = await request(stack.sandbox.url).get('/demo/token?user=student').expect(200);
    const list = await request(stack.gateway.url)
      .get('/api/v1/contexts/bio-7a-2026/materials')
      .set('Authorization', `Bearer ${body.token}`)
      .expect(200);
    expect(list.body).toEqual({ context_id: 'bio-7a-2026', limit: 500, materials: [], next_cursor: null });
  });

  it('answers the browser preflight only for origins in CORS_ORIGINS (npm start adds the sandbox)', async () => {
    const preflight = (origin: string) =>
      request(stack.gateway.url)
        .options('/api/v1/contexts/bio-7a-2026/materials')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'authorization');
    const allowed = await preflight(sandboxOrigin);
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(sandboxOrigin);
    expect(allowed.headers['access-control-allow-headers']).toMatch(/Authorization/i);
    const refused = await preflight('http://127.0.0.1:1');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });
});
