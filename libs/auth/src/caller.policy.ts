import { ErrorCode, ErrorDetails, ForbiddenError, ValidationFailedError } from '@app/common';

import type { Caller, UserCaller, UserRole } from './caller';

/** The token claim a request field stands for. */
export type TokenClaim = 'sub' | 'role' | 'school_id' | 'city_id' | 'contexts' | 'given_name' | 'family_name' | 'email';

/** One request field as sent, and what it stands for. */
export interface BoundField {
  /** The claim the field must match (or be filled from); without one the field is only checked for presence. */
  claim?: TokenClaim;
  value: string | number | null | undefined;
  /** The field must end up with a value, sent or filled from the token. */
  required?: boolean;
}

/** 403 codes: `<FIELD>_MISMATCH` for a value that must equal the token's, CONTEXT_NOT_IN_TOKEN for a course. */
export const MISMATCH_CODES: Readonly<Record<TokenClaim, ErrorCode>> = {
  city_id: 'CITY_ID_MISMATCH',
  contexts: 'CONTEXT_NOT_IN_TOKEN',
  email: 'EMAIL_MISMATCH',
  family_name: 'LAST_NAME_MISMATCH',
  given_name: 'FIRST_NAME_MISMATCH',
  role: 'ROLE_MISMATCH',
  school_id: 'SCHOOL_ID_MISMATCH',
  sub: 'USER_MISMATCH',
};

const CLAIM_OF: Record<Exclude<TokenClaim, 'contexts'>, (caller: UserCaller) => string | undefined> = {
  city_id: (caller) => caller.cityId,
  email: (caller) => caller.email,
  family_name: (caller) => caller.familyName,
  given_name: (caller) => caller.givenName,
  role: (caller) => caller.role,
  school_id: (caller) => caller.schoolId,
  sub: (caller) => caller.userId,
};

/**
 * The one place where a request body meets the token. With a user JWT, every field that names the user (who they
 * are, their role, school, city, name, email) must be the token's value or be left out, and is then the token's
 * value; a course field must be one of the token's `contexts`. A mismatch is a 403 whose code names the field, before
 * anything is sent upstream or stored. A claim the token does not carry (the optional names and email, or the scope
 * of an unscoped token outside production) leaves the field as sent. API keys are full trust: their fields are taken
 * as sent. A required field that is neither sent nor filled is a 400 naming it.
 */
export function bindToToken<F extends string>(
  caller: Caller,
  fields: Record<F, BoundField>,
): Record<F, string | undefined> {
  const bound = {} as Record<F, string | undefined>;
  const missing: ErrorDetails = {};
  let mismatch: ForbiddenError | undefined;
  for (const [name, field] of Object.entries(fields) as [F, BoundField][]) {
    const sent = field.value === null || field.value === undefined ? undefined : String(field.value);
    let value = sent;
    if (caller.kind === 'user' && field.claim) {
      const result = bindClaim(caller, name, field.claim, sent);
      value = result.value;
      mismatch ??= result.mismatch;
    }
    bound[name] = value;
    if (value !== undefined) continue;
    if (field.claim === 'contexts' && mustNameContext(caller)) {
      missing[name] = [`${name} is required with a course-scoped user token: one of its contexts (rule: required)`];
    } else if (field.required) {
      const fill = field.claim ? `, or use a user token that carries "${field.claim}"` : '';
      missing[name] = [`${name} is required: send it${fill} (rule: required)`];
    }
  }
  const names = Object.keys(missing);
  if (names.length) {
    const first = missing[names[0]][0];
    throw new ValidationFailedError(names.length > 1 ? `${first} (and ${names.length - 1} more)` : first, missing);
  }
  if (mismatch) throw mismatch;
  return bound;
}

function bindClaim(
  caller: UserCaller,
  field: string,
  claim: TokenClaim,
  sent: string | undefined,
): { value: string | undefined; mismatch?: ForbiddenError } {
  if (claim === 'contexts') {
    if (sent === undefined || mayActInContext(caller, sent)) return { value: sent };
    return {
      mismatch: new ForbiddenError(MISMATCH_CODES.contexts, `${field} ${sent} is not one of the token's contexts`),
      value: sent,
    };
  }
  const token = CLAIM_OF[claim](caller);
  if (token === undefined || sent === undefined) return { value: token ?? sent };
  // Addresses are compared case-insensitively, as mail systems treat them; Bazaar receives the token's spelling.
  const same = claim === 'email' ? sent.toLowerCase() === token.toLowerCase() : sent === token;
  if (same) return { value: token };
  return {
    mismatch: new ForbiddenError(
      MISMATCH_CODES[claim],
      `${field} must be the token's ${claim === 'sub' ? 'user' : claim} (${token})`,
    ),
    value: token,
  };
}

/** Students and teachers with a scoped token act in a course they name; admins and API keys in any. */
function mustNameContext(caller: Caller): boolean {
  return caller.kind === 'user' && caller.role !== 'admin' && caller.contexts !== undefined;
}

/**
 * The one course rule: API keys and admins act in any course; a student or teacher only in the token's `contexts`
 * (with the token's role). An unscoped token (accepted only outside production) keeps the old behaviour: any course.
 */
export function mayActInContext(caller: Caller, contextId: string | null | undefined): boolean {
  if (caller.kind === 'api_key' || caller.role === 'admin' || caller.contexts === undefined) return true;
  return contextId !== null && contextId !== undefined && caller.contexts.includes(contextId);
}

/** 403 CONTEXT_NOT_IN_TOKEN unless the caller may act in the course (`field` names where it came from). */
export function assertMayActInContext(caller: Caller, contextId: string, field = 'context_id'): void {
  bindToToken(caller, { [field]: { claim: 'contexts', value: contextId } });
}

/** What an observer may learn about: a learner's results in a course, or something about a course itself. */
export interface ObservedSubject {
  /** The learner the information is about; absent for course-level information (materials). */
  learnerId?: string | null;
  /** The course it belongs to; null when it belongs to none. */
  contextId?: string | null;
}

/**
 * Who may see information about a learner or a course (a registration, its progress, an event about them): API keys
 * and admins everything; a learner their own; a teacher the learners of the token's `contexts`; anyone a course's
 * own information when the course is in their `contexts`. Reading registrations and the live event stream both
 * decide by this rule.
 */
export function mayObserve(caller: Caller, subject: ObservedSubject): boolean {
  if (caller.kind === 'api_key' || caller.role === 'admin') return true;
  if (subject.learnerId !== undefined && subject.learnerId !== null) {
    if (subject.learnerId === caller.userId) return true;
    return caller.role === 'teacher' && mayActInContext(caller, subject.contextId);
  }
  return mayActInContext(caller, subject.contextId);
}

export function hasRole(caller: Caller, ...roles: UserRole[]): boolean {
  return caller.kind === 'api_key' || roles.includes(caller.role);
}
