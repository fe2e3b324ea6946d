import { ForbiddenError, ValidationFailedError } from '@app/common';

import type { ApiKeyCaller, UserCaller } from './caller';
import { assertMayActInContext, bindToToken, mayActInContext, mayObserve } from './caller.policy';

const apiKey: ApiKeyCaller = { keyName: 'lms', kind: 'api_key', role: 'admin' };
const scope = {
  cityId: '091',
  contexts: ['bio-7a', 'hist-8b'],
  email: 'Tiina@Koulu.example.fi',
  familyName: 'Öhman',
  givenName: 'Tiina',
  schoolId: '00913',
};
const teacher: UserCaller = { ...scope, kind: 'user', role: 'teacher', userId: 't-1' };
const student: UserCaller = { ...scope, contexts: ['bio-7a'], kind: 'user', role: 'student', userId: 's-1' };
const admin: UserCaller = { ...scope, contexts: [], kind: 'user', role: 'admin', userId: 'a-1' };
const unscoped: UserCaller = { kind: 'user', role: 'teacher', userId: 't-old' };

/** The Bazaar shape: every user field bound, the course a context. */
const bazaarFields = (body: Record<string, string | undefined>) => ({
  city_id: { claim: 'city_id' as const, required: true, value: body.city_id },
  context_id: { claim: 'contexts' as const, required: true, value: body.context_id },
  email: { claim: 'email' as const, value: body.email },
  first_name: { claim: 'given_name' as const, required: true, value: body.first_name },
  last_name: { claim: 'family_name' as const, required: true, value: body.last_name },
  role: { claim: 'role' as const, required: true, value: body.role },
  school_id: { claim: 'school_id' as const, required: true, value: body.school_id },
  user_id: { claim: 'sub' as const, required: true, value: body.user_id },
});

function refusal(run: () => unknown): { code?: string; kind?: string; message?: string; details?: unknown } {
  try {
    run();
  } catch (error) {
    return error as ForbiddenError;
  }
  return {};
}

describe('bindToToken', () => {
  it("fills every left-out user field from the token, and Bazaar gets the token's spelling of the email", () => {
    expect(bindToToken(teacher, bazaarFields({ context_id: 'bio-7a', email: 'tiina@koulu.example.FI' }))).toEqual({
      city_id: '091',
      context_id: 'bio-7a',
      email: 'Tiina@Koulu.example.fi',
      first_name: 'Tiina',
      last_name: 'Öhman',
      role: 'teacher',
      school_id: '00913',
      user_id: 't-1',
    });
  });

  it.each([
    ['school_id', '00914', 'SCHOOL_ID_MISMATCH'],
    ['city_id', '092', 'CITY_ID_MISMATCH'],
    ['context_id', 'chem-9c', 'CONTEXT_NOT_IN_TOKEN'],
    ['first_name', 'Mallory', 'FIRST_NAME_MISMATCH'],
    ['last_name', 'Ohman', 'LAST_NAME_MISMATCH'],
    ['email', 'mallory@koulu.example.fi', 'EMAIL_MISMATCH'],
    ['user_id', 't-2', 'USER_MISMATCH'],
    ['role', 'admin', 'ROLE_MISMATCH'],
  ])('refuses a body whose %s is not the token’s with 403 %s', (field, value, code) => {
    const error = refusal(() => bindToToken(teacher, bazaarFields({ context_id: 'bio-7a', [field]: value })));
    expect(error).toMatchObject({ code, kind: 'forbidden' });
    expect(error.message).toContain(field);
  });

  it('takes an API key’s fields as sent, and names every required one it leaves out (400)', () => {
    const body = { city_id: '1', context_id: 'any', first_name: 'A', last_name: 'B', role: 'student', user_id: 'u' };
    expect(bindToToken(apiKey, bazaarFields({ ...body, school_id: '99999' }))).toMatchObject({ school_id: '99999' });
    const error = refusal(() => bindToToken(apiKey, bazaarFields({ context_id: 'any' })));
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect(Object.keys(error.details as object).sort()).toEqual(
      ['city_id', 'first_name', 'last_name', 'role', 'school_id', 'user_id'].sort(),
    );
    expect(error.message).toMatch(/is required: send it, or use a user token that carries/);
  });

  it('keeps the body value where the token carries no claim (optional names, unscoped tokens outside production)', () => {
    const body = { city_id: '1', context_id: 'chem-9c', first_name: 'A', last_name: 'B', school_id: '99999' };
    expect(bindToToken(unscoped, bazaarFields(body))).toMatchObject({ ...body, role: 'teacher', user_id: 't-old' });
    const noNames: UserCaller = { ...teacher, email: undefined, familyName: undefined, givenName: undefined };
    expect(bindToToken(noNames, bazaarFields({ context_id: 'bio-7a', first_name: 'X', last_name: 'Y' }))).toMatchObject(
      { email: undefined, first_name: 'X', last_name: 'Y' },
    );
  });

  it('asks a scoped student or teacher for the course, and nobody else', () => {
    const fields = { context_id: { claim: 'contexts' as const, value: undefined } };
    expect(refusal(() => bindToToken(student, fields))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { context_id: [expect.stringMatching(/required with a course-scoped user token/)] },
    });
    for (const caller of [admin, apiKey, unscoped])
      expect(bindToToken(caller, fields)).toEqual({ context_id: undefined });
  });

  it('reports missing fields (400) before a mismatch (403)', () => {
    const fields = bazaarFields({ context_id: 'chem-9c' });
    expect(refusal(() => bindToToken({ ...teacher, schoolId: undefined }, fields)).code).toBe('VALIDATION_FAILED');
  });
});

describe('the course rule', () => {
  it('lets students and teachers act only in their contexts; admins, API keys and unscoped tokens anywhere', () => {
    expect(mayActInContext(teacher, 'hist-8b')).toBe(true);
    expect(mayActInContext(student, 'hist-8b')).toBe(false);
    expect(mayActInContext(student, null)).toBe(false);
    for (const caller of [admin, apiKey, unscoped]) expect(mayActInContext(caller, 'chem-9c')).toBe(true);
    expect(refusal(() => assertMayActInContext(student, 'hist-8b'))).toMatchObject({ code: 'CONTEXT_NOT_IN_TOKEN' });
  });

  it('mayObserve: a learner their own, a teacher their courses’ learners, members their course', () => {
    expect(mayObserve(student, { contextId: 'hist-8b', learnerId: 's-1' })).toBe(true);
    expect(mayObserve(student, { contextId: 'bio-7a', learnerId: 's-2' })).toBe(false);
    expect(mayObserve(teacher, { contextId: 'bio-7a', learnerId: 's-2' })).toBe(true);
    expect(mayObserve(teacher, { contextId: 'chem-9c', learnerId: 's-2' })).toBe(false);
    expect(mayObserve(teacher, { contextId: null, learnerId: 's-2' })).toBe(false);
    expect(mayObserve(student, { contextId: 'bio-7a' })).toBe(true);
    expect(mayObserve(student, { contextId: 'hist-8b' })).toBe(false);
    expect(mayObserve(unscoped, { contextId: null, learnerId: 's-2' })).toBe(true);
    for (const caller of [admin, apiKey]) expect(mayObserve(caller, { contextId: 'x', learnerId: 'y' })).toBe(true);
  });
});
