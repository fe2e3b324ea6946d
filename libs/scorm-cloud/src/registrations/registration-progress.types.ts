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
   * Source 'api' only: when the API read began. The read then replaces progress that came only from postbacks
   * received before that moment, whatever their `updated` (a forged postback can be dated ahead).
   */
  readStartedAt?: Date;
}

export type ProgressApplyResult = 'applied' | 'stale' | 'unknown_registration';
