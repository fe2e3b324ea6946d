import { AppConfigService, loadAppConfig } from '@app/config';
import { ConfigService } from '@nestjs/config';

import { NgrokTunnelProvider } from './ngrok-tunnel.provider';
import { TunnelOpenOptions, TunnelProvider } from './tunnel.provider';
import { TunnelFailedError, TunnelService } from './tunnel.service';

const AUTHTOKEN = 'ngrok-authtoken-that-must-not-leak';

function configFor(env: Record<string, string>): AppConfigService {
  const config = loadAppConfig(env);
  return new AppConfigService(new ConfigService(config) as never);
}

class FakeTunnelProvider implements TunnelProvider {
  readonly name = 'fake';
  opened: TunnelOpenOptions[] = [];
  closed = 0;
  constructor(private readonly failWith?: string) {}
  async open(options: TunnelOpenOptions) {
    this.opened.push(options);
    if (this.failWith) throw new Error(this.failWith);
    return { close: async () => void this.closed++, url: 'https://fake-tunnel.example/' };
  }
}

describe('TunnelService', () => {
  it('does nothing without TUNNEL', async () => {
    const provider = new FakeTunnelProvider();
    const config = configFor({});
    await expect(new TunnelService(config, provider).open()).resolves.toBeUndefined();
    expect(provider.opened).toEqual([]);
    expect(config.http.publicBaseUrl).toBe('http://localhost:3000');
  });

  it('opens a tunnel to the gateway port, makes it the public base URL, and closes it once', async () => {
    const provider = new FakeTunnelProvider();
    const config = configFor({ NGROK_AUTHTOKEN: AUTHTOKEN, PORT: '4123', TUNNEL: 'ngrok' });
    const tunnel = new TunnelService(config, provider);
    await expect(tunnel.open()).resolves.toBe('https://fake-tunnel.example');
    expect(provider.opened).toEqual([{ authtoken: AUTHTOKEN, port: 4123 }]);
    expect(config.http.publicBaseUrl).toBe('https://fake-tunnel.example');
    await tunnel.onApplicationShutdown();
    await tunnel.close();
    expect(provider.closed).toBe(1);
  });

  it('stops start-up with a clear message that never carries the authtoken', async () => {
    const provider = new FakeTunnelProvider(`authentication failed for token ${AUTHTOKEN}`);
    const tunnel = new TunnelService(configFor({ NGROK_AUTHTOKEN: AUTHTOKEN, TUNNEL: 'ngrok' }), provider);
    const error = (await tunnel.open().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(TunnelFailedError);
    expect(error.message).toMatch(/^TUNNEL=ngrok could not open a tunnel to port 3000: authentication failed/);
    expect(error.message).toContain('NGROK_AUTHTOKEN');
    expect(error.message).not.toContain(AUTHTOKEN);
  });
});

describe('NgrokTunnelProvider', () => {
  it('forwards the port with the authtoken and closes the listener', async () => {
    const close = jest.fn(async () => undefined);
    const forward = jest.fn(async () => ({ close, url: () => 'https://abc.ngrok-free.app' }));
    const provider = new NgrokTunnelProvider(async () => forward);
    const tunnel = await provider.open({ authtoken: AUTHTOKEN, port: 3000 });
    expect(forward).toHaveBeenCalledWith({ addr: 3000, authtoken: AUTHTOKEN });
    expect(tunnel.url).toBe('https://abc.ngrok-free.app');
    await tunnel.close();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('refuses a listener without a URL', async () => {
    const close = jest.fn(async () => undefined);
    const provider = new NgrokTunnelProvider(async () => async () => ({ close, url: () => null }));
    await expect(provider.open({ authtoken: AUTHTOKEN, port: 3000 })).rejects.toThrow(/without a public URL/);
    expect(close).toHaveBeenCalled();
  });
});
