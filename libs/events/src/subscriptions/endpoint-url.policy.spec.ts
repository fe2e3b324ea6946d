import { assertAllowedEndpoint, isPublicAddress, pinnedLookup } from './endpoint-url.policy';

describe('event endpoint URL rules (no SSRF)', () => {
  const production = { production: true };
  const development = { production: false };

  it('tells public addresses from loopback, private, link-local, shared, reserved and mapped ones', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) {
      expect(isPublicAddress(address)).toBe(true);
    }
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      'not-an-address',
    ]) {
      expect(isPublicAddress(address)).toBe(false);
    }
  });

  it('refuses in production a plain-http URL and hosts that are or resolve to non-public addresses, naming url', async () => {
    const refused = async (url: string, rule: RegExp) => {
      const error = await assertAllowedEndpoint(url, production).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'EVENT_SUBSCRIPTION_URL_REFUSED', kind: 'validation' });
      expect((error as { details: Record<string, string[]> }).details.url[0]).toMatch(rule);
    };
    await refused('http://93.184.216.34/hook', /https/);
    await refused('https://127.0.0.1/hook', /publicAddress/);
    await refused('https://[::1]/hook', /publicAddress/);
    await refused('https://169.254.169.254/latest/meta-data', /publicAddress/);
    await refused('https://10.0.0.5/hook', /publicAddress/);
    await refused('https://localhost/hook', /publicAddress/);
    await refused('https://name.invalid/hook', /resolvable/);
    await expect(assertAllowedEndpoint('https://93.184.216.34/hook', production)).resolves.toBeInstanceOf(URL);
  });

  it('allows loopback and private addresses and plain http outside production, never credentials or other schemes', async () => {
    await expect(assertAllowedEndpoint('http://127.0.0.1:3100/lms/webhooks', development)).resolves.toBeInstanceOf(URL);
    await expect(assertAllowedEndpoint('http://localhost/x', development)).resolves.toBeInstanceOf(URL);
    await expect(assertAllowedEndpoint('file:///etc/passwd', development)).rejects.toMatchObject({
      details: { url: [expect.stringMatching(/http\(s\)/)] },
    });
    await expect(assertAllowedEndpoint('http://a:b@127.0.0.1/x', development)).rejects.toMatchObject({
      details: { url: [expect.stringMatching(/credentials/)] },
    });
  });

  it('checks the address actually connected to at delivery time (DNS rebinding) and hands only that one on', async () => {
    const lookup = (rules: { production: boolean }, options: { all?: boolean }) =>
      new Promise<{ error: Error | null; address: unknown }>((resolve) =>
        pinnedLookup(rules)('localhost', options, (error, address) => resolve({ address, error })),
      );
    const blocked = await lookup(production, { all: true });
    expect(blocked.error?.message).toMatch(/not a public address/);
    const allowed = await lookup(development, { all: true });
    expect(allowed.error).toBeNull();
    expect(allowed.address).toEqual(expect.arrayContaining([expect.objectContaining({ address: expect.any(String) })]));
    const single = await lookup(development, {});
    expect(typeof single.address).toBe('string');
  });
});
