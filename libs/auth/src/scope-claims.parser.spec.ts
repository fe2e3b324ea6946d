import { MAX_CONTEXTS, parseScopeClaims } from './scope-claims.parser';

const scoped = {
  city_id: '091',
  contexts: ['bio-7a', 'hist-8b'],
  email: 'tiina@koulu.example.fi',
  family_name: 'Öhman',
  given_name: 'Tiina',
  school_id: '00913',
};

describe('parseScopeClaims', () => {
  it('reads every claim of a scoped token', () => {
    expect(parseScopeClaims(scoped)).toEqual({
      missing: [],
      scope: {
        cityId: '091',
        contexts: ['bio-7a', 'hist-8b'],
        email: 'tiina@koulu.example.fi',
        familyName: 'Öhman',
        givenName: 'Tiina',
        schoolId: '00913',
      },
    });
  });

  it('names the scope claims a token leaves out; the OIDC claims are optional', () => {
    expect(parseScopeClaims({ sub: 'x' }).missing).toEqual(['school_id', 'city_id', 'contexts']);
    const { city_id: _city, given_name: _given, email: _email, ...rest } = scoped;
    const { missing, scope } = parseScopeClaims(rest);
    expect(missing).toEqual(['city_id']);
    expect(scope.givenName).toBeUndefined();
    expect(scope.email).toBeUndefined();
  });

  it('takes integer ids as their decimal strings (as a Bazaar body does), and drops repeated contexts', () => {
    const { scope } = parseScopeClaims({ ...scoped, city_id: 91, contexts: [21, 'c', 'c'], school_id: 12345 });
    expect(scope).toMatchObject({ cityId: '91', contexts: ['21', 'c'], schoolId: '12345' });
  });

  it('accepts an empty contexts list (a user in no course acts in none)', () => {
    expect(parseScopeClaims({ ...scoped, contexts: [] }).scope.contexts).toEqual([]);
  });

  it.each([
    ['school_id', '1234'],
    ['school_id', '12345678901'],
    ['school_id', 1234],
    ['school_id', 1.5],
    ['school_id', null],
    ['school_id', ['00913']],
    ['city_id', ''],
    ['city_id', '12345678901'],
    ['city_id', true],
    ['contexts', 'bio-7a'],
    ['contexts', ['']],
    ['contexts', ['x'.repeat(129)]],
    ['contexts', [{ id: 'bio-7a', role: 'teacher' }]],
    ['contexts', [null]],
    ['contexts', new Array(MAX_CONTEXTS + 1).fill('c').map((c, i) => `${c}${i}`)],
    ['given_name', ''],
    ['given_name', 'x'.repeat(256)],
    ['family_name', 7],
    ['email', 'Teppo'],
    ['email', `${'a'.repeat(250)}@x.fi`],
    ['email', null],
  ])('refuses a malformed %s (case %#) with a 401 naming it', (claim, value) => {
    let error: unknown;
    try {
      parseScopeClaims({ ...scoped, [claim]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'TOKEN_INVALID', kind: 'unauthenticated' });
    expect((error as Error).message).toContain(`"${claim}"`);
  });

  it('counts names by characters as the DTOs do (an astral character is one)', () => {
    expect(parseScopeClaims({ ...scoped, given_name: '𝔗'.repeat(255) }).scope.givenName).toHaveLength(510);
  });
});
