export type CompletionStatus = 'COMPLETED' | 'INCOMPLETE' | 'UNKNOWN';
export type SuccessStatus = 'PASSED' | 'FAILED' | 'UNKNOWN';

/** One registration instance's progress as a postback or an API read reports it. */
export interface RegistrationProgressUpdate {
  registrationId: string;
  /** Registration instance; 0 when the payload has none. */
  instance: number;
  /** The payload's own update time; orders out-of-order deliveries. */
  updated: Date | null;
  completion: CompletionStatus;
  success: SuccessStatus;
  /** Scaled 0..100. */
  score: number | null;
  totalSeconds: number | null;
  firstAccessDate: Date | null;
  lastAccessDate: Date | null;
  completedDate: Date | null;
  source: 'postback' | 'api';
  /**
   * When the gateway learnt it, by its own clock: a postback's arrival, or the moment the API read that returned it
   * began (defaults to when it is applied). Orders updates without their own `updated`; an API read replaces
   * progress that came only from postbacks received before it began (see progress-merge.rule.ts).
   */
  observedAt?: Date;
}

export type ProgressApplyResult = 'applied' | 'stale' | 'unknown_registration';
