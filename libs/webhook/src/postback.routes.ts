import { POSTBACK_PATH } from '@app/scorm-cloud';

/**
 * Where postbacks arrive: the path ScormCloudService puts in every registration's postback URL, and seed 000's
 * `/api/results`. The Nest controller and the fast path serve exactly these.
 */
export const POSTBACK_ROUTES: readonly string[] = ['/api/results', POSTBACK_PATH];
