import { OpenTunnel, TunnelOpenOptions, TunnelProvider } from '@app/common';
import { AppConfigService } from '@app/config';
import request from 'supertest';

import { createGatewayApp } from '../apps/api/src/configure-app';
import { freePort } from './support/free-port';
import { gatewayEnv, startSandbox } from './support/stack';
import { TestDatabase, createTestDatabase } from './support/test-database';
import { TEST_API_KEY, bearer } from './support/tokens';

const AUTHTOKEN = 'fake-ngrok-authtoken-0123456789';

/** Stands in for ngrok: no network here, and the test sees what the gateway asked of it. */
class FakeTunnelProvider implements TunnelProvider {
  readonly name = 'fake';
  readonly opened: TunnelOpenOptions[] = [];
  closed = 0;
  constructor(private readonly failure?: Error) {}
  async open(options: TunnelOpenOptions): Promise<OpenTunnel> {
    this.opened.push(options);
    if (this.failure) throw this.failure;
    return { close: async () => void this.closed++, url: 'https://fake-gateway.ngrok.example/' };
  }
}

const tunnelled = (base: Record<string, string>) => ({
  ...base,
  NGROK_AUTHTOKEN: AUTHTOKEN,
  PUBLIC_BASE_URL: '',
  TUNNEL: 'ngrok',
});

describe('TUNNEL=ngrok at start-up (fake provider)', () => {
  let database: TestDatabase;
  let port: number;
  let env: Record<string, string>;

  beforeEach(async () => {
    database = await createTestDatabase();
    port = await freePort();
    env = tunnelled(gatewayEnv(port, 9, database.url));
  });
  afterEach(() => database.drop());

  it('opens the tunnel to the gateway port, uses its URL as PUBLIC_BASE_URL, and closes it on shutdown', async () => {
    const provider = new FakeTunnelProvider();
    const app = await createGatewayApp({ env, tunnelProvider: provider });
    try {
      await app.listen(port, '127.0.0.1');
      expect(provider.opened).toEqual([{ authtoken: AUTHTOKEN, port }]);
      expect(app.get(AppConfigService).http.publicBaseUrl).toBe('https://fake-gateway.ngrok.example');
      await request(app.getHttpServer()).get('/health').expect(200);
      expect(provider.closed).toBe(0);
    } finally {
      await app.close();
    }
    expect(provider.closed).toBe(1);
  });

  it('builds the Bazaar callback URLs on the tunnel URL (the store posts the pick back through it)', async () => {
    const sandbox = await startSandbox();
    const app = await createGatewayApp({
      env: { ...env, ...tunnelled(gatewayEnv(port, sandbox.port, database.url)) },
      tunnelProvider: new FakeTunnelProvider(),
    });
    try {
      await app.listen(port, '127.0.0.1');
      const browse = await request(app.getHttpServer())
        .post('/api/v1/bazaar/browse')
        .set(bearer(TEST_API_KEY))
        .send({
          city: 'Helsinki',
          city_id: '091',
          context_id: 'bio-7a',
          context_title: 'Biology 7A',
          first_name: 'Tiina',
          last_name: 'Teacher',
          return_url: `${sandbox.url}/demo`,
          role: 'teacher',
          school: 'Kallion yhtenäiskoulu',
          school_id: '00913',
          user_id: 'tiina.teacher',
        })
        .expect(200);
      const store = await (await fetch(browse.body.browse_url)).text();
      expect(store).toContain('action="https://fake-gateway.ngrok.example/api/v1/bazaar/callbacks/add?state=');
    } finally {
      await app.close();
      await sandbox.close();
    }
  });

  it('leaves PUBLIC_BASE_URL alone and opens nothing when TUNNEL=none', async () => {
    const provider = new FakeTunnelProvider();
    const app = await createGatewayApp({ env: { ...env, TUNNEL: 'none' }, tunnelProvider: provider });
    await app.close();
    expect(provider.opened).toEqual([]);
    expect(app.get(AppConfigService).http.publicBaseUrl).toBe(`http://localhost:${port}`);
  });

  it('refuses to start when the tunnel fails, naming the cause but never the authtoken', async () => {
    const provider = new FakeTunnelProvider(new Error(`ERR_NGROK_105: authtoken ${AUTHTOKEN} is invalid`));
    const failure = (await createGatewayApp({ env, tunnelProvider: provider }).catch((e: unknown) => e)) as Error;
    expect(failure).toBeInstanceOf(Error);
    expect(failure.message).toMatch(/TUNNEL=ngrok could not open a tunnel to port \d+: ERR_NGROK_105/);
    expect(failure.message).not.toContain(AUTHTOKEN);
  });
});
