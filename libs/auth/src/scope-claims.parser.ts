import { UnauthenticatedError } from '@app/common';
import { isEmail, length, maxLength } from 'class-validator';

import type { UserScope } from './caller';

/** The claims that scope a user token; production refuses a token without any of them. */
export const SCOPE_CLAIMS = ['school_id', 'city_id', 'contexts'] as const;
export type ScopeClaim = (typeof SCOPE_CLAIMS)[number];

/** A user belongs to many courses, but a token's header must stay small (Node refuses headers over 16 KiB). */
export const MAX_CONTEXTS = 500;

export interface ParsedScope {
  scope: UserScope;
  /** Scope claims the token does not carry, in SCOPE_CLAIMS order. */
  missing: ScopeClaim[];
}

/**
 * Reads the scope claims of a verified LMS user token. Each claim follows the rule of the Bazaar field it stands
 * for (the Bazaar spec's tables, as `BazaarUserContextDto` applies them), so a value the token carries is always
 * one the gateway would accept in a body; a malformed claim is a 401 naming it. Ids may be strings or safe
 * integers (turned into their decimal strings), as in a body.
 */
export function parseScopeClaims(payload: Record<string, unknown>): ParsedScope {
  const scope: UserScope = {
    cityId: optional(payload, 'city_id', (value) => idString(value, 1, 10), 'a 1-10 character city id'),
    contexts: optional(
      payload,
      'contexts',
      contextList,
      `an array of at most ${MAX_CONTEXTS} course ids (1-128 characters each)`,
    ),
    email: optional(payload, 'email', emailAddress, 'an email address of at most 254 characters'),
    familyName: optional(payload, 'family_name', (value) => text(value, 1, 255), 'a 1-255 character name'),
    givenName: optional(payload, 'given_name', (value) => text(value, 1, 255), 'a 1-255 character name'),
    schoolId: optional(payload, 'school_id', (value) => idString(value, 5, 10), 'a 5-10 character school id'),
  };
  const present: Record<ScopeClaim, unknown> = {
    city_id: scope.cityId,
    contexts: scope.contexts,
    school_id: scope.schoolId,
  };
  return { missing: SCOPE_CLAIMS.filter((claim) => present[claim] === undefined), scope };
}

function optional<T>(
  payload: Record<string, unknown>,
  claim: string,
  parse: (value: unknown) => T | undefined,
  rule: string,
): T | undefined {
  if (!(claim in payload) || payload[claim] === undefined) return undefined;
  const value = parse(payload[claim]);
  if (value === undefined) {
    throw new UnauthenticatedError('TOKEN_INVALID', `The bearer token "${claim}" claim must be ${rule}`);
  }
  return value;
}

function text(value: unknown, min: number, max: number): string | undefined {
  return typeof value === 'string' && length(value, min, max) ? value : undefined;
}

function idString(value: unknown, min: number, max: number): string | undefined {
  return text(typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value, min, max);
}

function emailAddress(value: unknown): string | undefined {
  return typeof value === 'string' && isEmail(value) && maxLength(value, 254) ? value : undefined;
}

/**
 * Plain course ids only: the token's one role applies in every listed course. Per-course roles (`[{id, role}]`)
 * are refused rather than guessed at; an LMS mints the token for the role the user acts in (README).
 */
function contextList(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_CONTEXTS) return undefined;
  const ids = value.map((item) => idString(item, 1, 128));
  return ids.every((id): id is string => id !== undefined) ? [...new Set(ids)] : undefined;
}
