import type { Caller, UserCaller } from '@app/auth';

import {
  RegistrationAction,
  assertMayAccessRegistration,
  assertMayListLearner,
  bindNewRegistration,
  mayAccessRegistration,
} from './registration-access.policy';

const school = { cityId: '091', schoolId: '00913' };
const teacher: UserCaller = { ...school, contexts: ['bio-7a'], kind: 'user', role: 'teacher', userId: 't-1' };
const student: UserCaller = {
  ...school,
  contexts: ['bio-7a'],
  familyName: 'Student',
  givenName: 'Sami',
  kind: 'user',
  role: 'student',
  userId: 's-1',
};
const admin: UserCaller = { ...school, contexts: [], kind: 'user', role: 'admin', userId: 'a-1' };
const apiKey: Caller = { keyName: 'lms', kind: 'api_key', role: 'admin' };
const unscopedTeacher: UserCaller = { kind: 'user', role: 'teacher', userId: 't-old' };

const mine = { contextId: 'bio-7a', learnerId: 's-1' };
const classmate = { contextId: 'bio-7a', learnerId: 's-2' };
const elsewhere = { contextId: 'chem-9c', learnerId: 's-2' };
const courseless = { contextId: null, learnerId: 's-2' };

const ALL: RegistrationAction[] = ['create', 'read', 'reset', 'delete'];

describe('registration access policy', () => {
  it('lets a teacher create, read, reset and delete only in the token’s contexts', () => {
    for (const action of ALL) {
      expect({ action, ok: mayAccessRegistration(teacher, action, classmate) }).toEqual({ action, ok: true });
      expect({ action, ok: mayAccessRegistration(teacher, action, elsewhere) }).toEqual({ action, ok: false });
      expect({ action, ok: mayAccessRegistration(teacher, action, courseless) }).toEqual({ action, ok: false });
    }
  });

  it('lets a student create and read only their own, reset and delete none', () => {
    expect(mayAccessRegistration(student, 'create', mine)).toBe(true);
    expect(mayAccessRegistration(student, 'read', mine)).toBe(true);
    expect(mayAccessRegistration(student, 'read', { ...mine, contextId: 'chem-9c' })).toBe(true);
    expect(mayAccessRegistration(student, 'create', { ...mine, contextId: 'chem-9c' })).toBe(false);
    for (const action of ALL) expect(mayAccessRegistration(student, action, classmate)).toBe(false);
    expect(() => assertMayAccessRegistration(student, 'reset', mine)).toThrow(/Only a teacher or an admin/);
  });

  it('lets only the learner launch, and admins and API keys do the rest anywhere', () => {
    expect(mayAccessRegistration(student, 'launch', mine)).toBe(true);
    expect(mayAccessRegistration(teacher, 'launch', classmate)).toBe(false);
    expect(mayAccessRegistration(admin, 'launch', classmate)).toBe(false);
    expect(mayAccessRegistration(apiKey, 'launch', classmate)).toBe(true);
    for (const caller of [admin, apiKey])
      for (const action of ALL) expect(mayAccessRegistration(caller, action, elsewhere)).toBe(true);
  });

  it('keeps the old reach for an unscoped teacher token (outside production only)', () => {
    for (const action of ALL) expect(mayAccessRegistration(unscopedTeacher, action, courseless)).toBe(true);
  });

  it('refuses with REGISTRATION_FORBIDDEN saying why', () => {
    expect(() => assertMayAccessRegistration(teacher, 'delete', elsewhere)).toThrow(
      expect.objectContaining({ code: 'REGISTRATION_FORBIDDEN', message: expect.stringMatching(/contexts/) }),
    );
  });

  it('lets a student list only their own registrations; a teacher any learner’s, filtered by read', () => {
    expect(() => assertMayListLearner(student, 's-2')).toThrow(
      expect.objectContaining({ code: 'REGISTRATION_FORBIDDEN' }),
    );
    expect(() => assertMayListLearner(student, 's-1')).not.toThrow();
    expect(() => assertMayListLearner(teacher, 's-2')).not.toThrow();
  });
});

describe('bindNewRegistration', () => {
  it("fills a student's own registration from the token: learner, names", () => {
    expect(bindNewRegistration(student, { contextId: 'bio-7a', courseId: 'c1' })).toEqual({
      contextId: 'bio-7a',
      courseId: 'c1',
      learnerFirstName: 'Sami',
      learnerId: 's-1',
      learnerLastName: 'Student',
    });
  });

  it.each([
    [{ contextId: 'chem-9c' }, 'CONTEXT_NOT_IN_TOKEN'],
    [{ contextId: undefined }, 'VALIDATION_FAILED'],
    [{ learnerFirstName: 'Mallory' }, 'FIRST_NAME_MISMATCH'],
    [{ learnerLastName: 'Mallory' }, 'LAST_NAME_MISMATCH'],
    [{ learnerFirstName: 'Sami', learnerId: 's-2', learnerLastName: 'X' }, 'REGISTRATION_FORBIDDEN'],
  ])('refuses a student sending %p with %s', (override, code) => {
    expect(() => bindNewRegistration(student, { contextId: 'bio-7a', courseId: 'c1', ...override })).toThrow(
      expect.objectContaining({ code }),
    );
  });

  it('lets a teacher name the learner and their names, in the teacher’s course only', () => {
    const request = {
      contextId: 'bio-7a',
      courseId: 'c1',
      learnerFirstName: 'Aino',
      learnerId: 's-2',
      learnerLastName: 'V',
    };
    expect(bindNewRegistration(teacher, request)).toMatchObject({ learnerFirstName: 'Aino', learnerId: 's-2' });
    expect(() => bindNewRegistration(teacher, { ...request, contextId: 'chem-9c' })).toThrow(
      expect.objectContaining({ code: 'CONTEXT_NOT_IN_TOKEN' }),
    );
  });

  it('asks an API key for every learner field, naming the missing ones', () => {
    expect(() => bindNewRegistration(apiKey, { courseId: 'c1' })).toThrow(
      expect.objectContaining({
        code: 'VALIDATION_FAILED',
        details: {
          learner_first_name: [expect.any(String)],
          learner_id: [expect.any(String)],
          learner_last_name: [expect.any(String)],
        },
      }),
    );
    expect(
      bindNewRegistration(apiKey, { courseId: 'c1', learnerFirstName: 'A', learnerId: 'x', learnerLastName: 'B' }),
    ).toMatchObject({ contextId: undefined, learnerId: 'x' });
  });
});
