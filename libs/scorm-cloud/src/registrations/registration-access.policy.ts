import { Caller } from '@app/auth';
import { ForbiddenError } from '@app/common';

export type RegistrationAction = 'create' | 'read' | 'launch' | 'reset' | 'delete';

/** What the policy needs to know of a registration (or of one about to be created). */
export interface RegistrationSubject {
  learnerId: string;
}

/**
 * The one rule for who may touch a registration. API keys are full trust (server to server). A user launches only
 * their own registrations (the player records its results as the registered learner). Teachers and admins
 * create, read, reset and delete any registration; a student creates and reads only their own.
 */
export function assertMayAccessRegistration(
  caller: Caller,
  action: RegistrationAction,
  registration: RegistrationSubject,
): void {
  if (caller.kind === 'api_key') return;
  const own = caller.userId === registration.learnerId;
  if (action === 'launch') {
    if (!own) throw forbidden('Only the registered learner may launch this registration');
    return;
  }
  if (caller.role === 'teacher' || caller.role === 'admin') return;
  if (action === 'reset' || action === 'delete') {
    throw forbidden(`Only a teacher or an admin may ${action} a registration`);
  }
  if (!own)
    throw forbidden(
      action === 'create' ? 'A student may register only themself' : 'A student may read only their own registrations',
    );
}

function forbidden(message: string): ForbiddenError {
  return new ForbiddenError('REGISTRATION_FORBIDDEN', message);
}
