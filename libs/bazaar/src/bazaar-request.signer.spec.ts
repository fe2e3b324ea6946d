import { AppConfigService } from '@app/config';
import { createHmac } from 'node:crypto';

import { BazaarRequestSigner } from './bazaar-request.signer';

/** The exact one-line body of the Bazaar spec's worked example. */
const SEED_BODY =
  '{"first_name":"Teppo","last_name":"Testaaja","email":"Teppo","user_id":123,"context_id":123,"context_title":"DETAILS","role":"student","school":"Koulu","school_id":1235,"city":"Helsinki","city_id":"0123456-7","oid":null,"add_resource_callback_url":"","cancel_callback_url":""}';
const SEED_SECRET = 'bc0ec839034cc0a4fe68af506985ddb52c4cb959';

function signerWith(clientId: string, secretKey: string): BazaarRequestSigner {
  const config = { bazaar: { baseUrl: 'https://bazaar.gov/api/v1', clientId, secretKey, timeoutMs: 5000 } };
  return new BazaarRequestSigner(config as AppConfigService);
}

describe('BazaarRequestSigner', () => {
  const signer = signerWith('example_client', SEED_SECRET);

  it("reproduces the Bazaar spec's worked example", () => {
    expect(signer.authenticationFor(Buffer.from(SEED_BODY, 'utf8'))).toBe(
      'BAZAAR example_client:8a5c839290690a145fc8f128aec4fba0970a004a230fad856d775ea7b528da80',
    );
  });

  it('signs the same bytes it serialises, so re-parsing the body gives the same header', () => {
    const signed = signer.sign(JSON.parse(SEED_BODY));
    expect(signed.body.toString('utf8')).toBe(SEED_BODY);
    expect(signed.authentication).toBe(
      'BAZAAR example_client:8a5c839290690a145fc8f128aec4fba0970a004a230fad856d775ea7b528da80',
    );
  });

  it('signs the UTF-8 bytes of non-ASCII (Finnish) bodies', () => {
    const payload = { city: 'Hämeenlinna', first_name: 'Äijä', last_name: 'Öhman-Åström', school: 'Yläkoulu' };
    const signed = signer.sign(payload);
    const utf8 = Buffer.from(JSON.stringify(payload), 'utf8');
    expect(signed.body.equals(utf8)).toBe(true);
    expect(signed.body.length).toBeGreaterThan(JSON.stringify(payload).length);
    const expected = createHmac('sha256', SEED_SECRET).update(utf8).digest('hex');
    expect(signed.authentication).toBe(`BAZAAR example_client:${expected}`);
    // Signing latin1 or UTF-16 code units would give another hash.
    const latin1 = createHmac('sha256', SEED_SECRET).update(Buffer.from(JSON.stringify(payload), 'latin1'));
    expect(signed.authentication).not.toContain(latin1.digest('hex'));
  });

  it('changes with one byte of body or another secret', () => {
    const a = signer.authenticationFor(Buffer.from(SEED_BODY));
    const b = signer.authenticationFor(Buffer.from(`${SEED_BODY} `));
    const c = signerWith('example_client', `${SEED_SECRET}x`).authenticationFor(Buffer.from(SEED_BODY));
    expect(new Set([a, b, c]).size).toBe(3);
    expect(a).toMatch(/^BAZAAR example_client:[0-9a-f]{64}$/);
  });
});
