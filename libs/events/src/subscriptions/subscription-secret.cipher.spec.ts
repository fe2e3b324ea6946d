import type { AppConfigService } from '@app/config';

import { SubscriptionSecretCipher, newWebhookSecret } from './subscription-secret.cipher';

const cipherWith = (secretsKey: string) =>
  new SubscriptionSecretCipher({ eventDelivery: { secretsKey } } as unknown as AppConfigService);

describe('SubscriptionSecretCipher', () => {
  it('stores a secret encrypted (not readable from the database alone) and reads it back', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const cipher = cipherWith('a-key-from-configuration-0123456789');
    const stored = cipher.encrypt(secret);
    expect(stored).not.toContain(secret.slice(6));
    expect(cipher.encrypt(secret)).not.toBe(stored);
    expect(cipher.decrypt(stored)).toBe(secret);
    expect(() => cipherWith('another-key-from-configuration-0123').decrypt(stored)).toThrow();
  });
});
