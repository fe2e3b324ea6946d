import { SandboxConfig } from '../sandbox.config';
import { BazaarSignatureVerifier } from './bazaar-signature.verifier';

const SEED_BODY =
  '{"first_name":"Teppo","last_name":"Testaaja","email":"Teppo","user_id":123,"context_id":123,"context_title":"DETAILS","role":"student","school":"Koulu","school_id":1235,"city":"Helsinki","city_id":"0123456-7","oid":null,"add_resource_callback_url":"","cancel_callback_url":""}';
const SEED_HEADER = 'BAZAAR example_client:8a5c839290690a145fc8f128aec4fba0970a004a230fad856d775ea7b528da80';

describe('BazaarSignatureVerifier (sandbox side of the Bazaar spec)', () => {
  const config = { bazaar: { clients: { example_client: 'bc0ec839034cc0a4fe68af506985ddb52c4cb959' } } };
  const verifier = new BazaarSignatureVerifier(config as unknown as SandboxConfig);

  it("accepts the seed's worked example", () => {
    expect(verifier.verify(SEED_HEADER, Buffer.from(SEED_BODY))).toBe('example_client');
  });

  it('refuses other bytes, other clients, and malformed headers', () => {
    expect(verifier.verify(SEED_HEADER, Buffer.from(SEED_BODY.replace('Teppo', 'Tepp0')))).toBeUndefined();
    expect(verifier.verify(SEED_HEADER.replace('example_client', 'other'), Buffer.from(SEED_BODY))).toBeUndefined();
    expect(verifier.verify(SEED_HEADER.replace('BAZAAR', 'Bearer'), Buffer.from(SEED_BODY))).toBeUndefined();
    expect(verifier.verify(SEED_HEADER.slice(0, -2), Buffer.from(SEED_BODY))).toBeUndefined();
    expect(verifier.verify(undefined, Buffer.from(SEED_BODY))).toBeUndefined();
    expect(verifier.verify(SEED_HEADER, undefined)).toBeUndefined();
    // JSON re-serialised with other spacing is other bytes: refused.
    expect(verifier.verify(SEED_HEADER, Buffer.from(JSON.stringify(JSON.parse(SEED_BODY), null, 1)))).toBeUndefined();
  });
});
