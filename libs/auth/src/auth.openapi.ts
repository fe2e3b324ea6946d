import { MISMATCH_CODES } from './caller.policy';
import { MAX_CONTEXTS } from './scope-claims.parser';

/** The bearer scheme as the OpenAPI document describes it: the two kinds of token and a user token's claims. */
export const BEARER_SCHEME_DESCRIPTION =
  'An API key from API_KEYS (server to server, full trust), or an LMS user JWT signed HS256 with LMS_JWT_SECRET. ' +
  'User token claims: `sub` (user id, 1-255 characters), `role` (student | teacher | admin), `exp`; the scope ' +
  '`school_id` (5-10 characters), `city_id` (1-10) and `contexts` (array of at most ' +
  `${MAX_CONTEXTS} course ids, 1-128 characters each; the token's role applies in each); optionally the OIDC claims ` +
  '`given_name`, `family_name` (1-255) and `email`. Ids may be strings or integers. A malformed claim is a 401 ' +
  'TOKEN_INVALID naming it. In production a token without school_id, city_id or contexts is a 401 ' +
  'TOKEN_SCOPE_MISSING naming the claim; outside production it is accepted unscoped (bound only by sub and role) ' +
  'with a warning in the log. With a user token, body fields that name the user, school, city, course, names or ' +
  'email must match the token or be left out (then filled from it): 403 ' +
  `${Object.values(MISMATCH_CODES).join(', ')}. Admin tokens act in any course; their identity claims still bind.`;

/** The 403 answers of a route whose body or path is bound to the token. */
export const TOKEN_BINDING_FORBIDDEN =
  'ROLE_FORBIDDEN (the role may not), or the request names something other than the token says: ' +
  `${Object.values(MISMATCH_CODES).join(', ')} (code names the field; nothing is sent upstream or stored)`;
