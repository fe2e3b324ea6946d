/** The same literals as @app/scorm-cloud's progress types; the parser stays free of that module. */
export type PostbackCompletion = 'COMPLETED' | 'INCOMPLETE' | 'UNKNOWN';
export type PostbackSuccess = 'PASSED' | 'FAILED' | 'UNKNOWN';

/** Which of the five postback shapes a request used. */
export type PostbackShape = 'v2_json' | 'v2_form' | 'v1_form' | 'v1_xml' | 'query';

export const POSTBACK_SHAPES: readonly PostbackShape[] = ['v2_json', 'v2_form', 'v1_form', 'v1_xml', 'query'];

/** A postback request reduced to what the receiver needs, whichever HTTP layer delivered it. */
export interface PostbackRequest {
  method: string;
  /** The Content-Type header as sent (parameters such as charset included). */
  contentType: string | undefined;
  /** Exact bytes of the body; empty for GET. */
  rawBody: Buffer | undefined;
  /** The query string without the leading `?`. */
  rawQuery: string;
  authorization: string | undefined;
  /** Who is calling, for the failed-authentication limit. */
  clientAddress: string;
}

/** The learner result a postback reports, normalised across shapes. */
export interface PostbackProgress {
  registrationId: string;
  instance: number;
  updated: Date | null;
  completion: PostbackCompletion;
  success: PostbackSuccess;
  score: number | null;
  totalSeconds: number | null;
  firstAccessDate: Date | null;
  lastAccessDate: Date | null;
  completedDate: Date | null;
}

export interface ParsedPostback {
  shape: PostbackShape;
  progress: PostbackProgress;
  /** The per-registration token from the postback URL, if any. */
  token: string | undefined;
  /** What gets stored: the body (or query string) with password and token fields removed. */
  redactedRaw: string;
}
