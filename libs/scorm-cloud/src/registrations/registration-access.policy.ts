import { Caller, bindToToken, mayActInContext, mayObserve } from '@app/auth';
import { ForbiddenError } from '@app/common';

export type RegistrationAction = 'create' | 'read' | 'launch' | 'reset' | 'delete';

/** What the policy needs to know of a registration (or of one about to be created). */
export interface RegistrationSubject {
  learnerId: string;
  /** The LMS course it belongs to; null for one created without (by an API key, or before tokens were scoped). */
  contextId: string | null;
}

/** A registration as a request asks for it: the learner fields may be left out and filled from the token. */
export interface RegistrationRequest {
  courseId: string;
  learnerId?: string;
  learnerFirstName?: string;
  learnerLastName?: string;
  contextId?: string;
  registrationId?: string;
}

/** The same, bound to the caller's token: every learner field is there. */
export interface CreateRegistrationInput extends RegistrationRequest {
  learnerId: string;
  learnerFirstName: string;
  learnerLastName: string;
}

/**
 * The one rule for who may touch a registration. API keys and admins are full trust. A user launches only their
 * own registrations (the player records its results as the registered learner). A teacher creates, reads, resets
 * and deletes registrations only in the token's `contexts`; a student creates (in one of their contexts) and reads
 * only their own. Reading follows `mayObserve`, the rule the live event stream filters by. An unscoped token
 * (outside production only) has no contexts to check, so a teacher's reach is every course, as before.
 */
function refusal(caller: Caller, action: RegistrationAction, registration: RegistrationSubject): string | undefined {
  if (caller.kind === 'api_key') return undefined;
  const own = caller.userId === registration.learnerId;
  if (action === 'launch') return own ? undefined : 'Only the registered learner may launch this registration';
  if (action === 'read') {
    if (mayObserve(caller, registration)) return undefined;
    return caller.role === 'student'
      ? 'A student may read only their own registrations'
      : "A teacher may read only registrations in the token's contexts";
  }
  if (caller.role === 'admin') return undefined;
  if (caller.role === 'student') {
    if (action !== 'create') return `Only a teacher or an admin may ${action} a registration`;
    if (!own) return 'A student may register only themself';
  }
  if (!mayActInContext(caller, registration.contextId)) {
    return `A ${caller.role} may ${action} registrations only in the token's contexts`;
  }
  return undefined;
}

export function mayAccessRegistration(
  caller: Caller,
  action: RegistrationAction,
  registration: RegistrationSubject,
): boolean {
  return refusal(caller, action, registration) === undefined;
}

/** 403 REGISTRATION_FORBIDDEN, saying why, unless the caller may. */
export function assertMayAccessRegistration(
  caller: Caller,
  action: RegistrationAction,
  registration: RegistrationSubject,
): void {
  const reason = refusal(caller, action, registration);
  if (reason) throw new ForbiddenError('REGISTRATION_FORBIDDEN', reason);
}

/**
 * A new registration's fields bound to the token (`bindToToken`), then checked by the rule above. `context_id` must
 * be one of a student's or teacher's contexts (403 CONTEXT_NOT_IN_TOKEN; 400 when left out). The learner defaults to
 * the caller; when the caller is the learner, the names SCORM Cloud receives are the token's `given_name` and
 * `family_name` (403 FIRST_NAME_MISMATCH / LAST_NAME_MISMATCH for others). A teacher enrolling a student names them.
 */
export function bindNewRegistration(caller: Caller, request: RegistrationRequest): CreateRegistrationInput {
  const learnerIsCaller =
    caller.kind === 'user' && (request.learnerId === undefined || request.learnerId === caller.userId);
  const bound = bindToToken(caller, {
    learner_id: { claim: learnerIsCaller ? 'sub' : undefined, required: true, value: request.learnerId },
    learner_first_name: {
      claim: learnerIsCaller ? 'given_name' : undefined,
      required: true,
      value: request.learnerFirstName,
    },
    learner_last_name: {
      claim: learnerIsCaller ? 'family_name' : undefined,
      required: true,
      value: request.learnerLastName,
    },
    context_id: { claim: 'contexts', value: request.contextId },
  });
  const input: CreateRegistrationInput = {
    ...request,
    contextId: bound.context_id,
    learnerFirstName: bound.learner_first_name as string,
    learnerId: bound.learner_id as string,
    learnerLastName: bound.learner_last_name as string,
  };
  assertMayAccessRegistration(caller, 'create', { contextId: input.contextId ?? null, learnerId: input.learnerId });
  return input;
}

/**
 * Whose registrations a caller may list: a student only their own (403 otherwise); a teacher any learner's, of
 * which `mayAccessRegistration(caller, 'read', …)` then keeps those in the token's contexts (filtered, not refused:
 * a learner's courses are many, and a teacher sees exactly the ones they teach).
 */
export function assertMayListLearner(caller: Caller, learnerId: string): void {
  if (caller.kind === 'user' && caller.role === 'student' && caller.userId !== learnerId) {
    throw new ForbiddenError('REGISTRATION_FORBIDDEN', 'A student may read only their own registrations');
  }
}
