/** The path every registration's postback URL points to (handed to the SCORM Cloud module by WebhookModule). */
export const POSTBACK_PATH = '/api/v1/webhooks/scorm-cloud';

/**
 * Where postbacks arrive: POSTBACK_PATH and `/api/results`, the path of the SCORM Cloud webhook guide this
 * project started from (docs/sources.md), for an app-level postback URL set in the SCORM Cloud console. The Nest
 * controller and the fast path serve exactly these.
 */
export const POSTBACK_ROUTES: readonly string[] = ['/api/results', POSTBACK_PATH];
