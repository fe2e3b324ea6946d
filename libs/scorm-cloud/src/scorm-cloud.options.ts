/** What the module needs from the library that receives postbacks (the webhook library owns the path). */
export interface ScormCloudModuleOptions {
  /** The gateway path SCORM Cloud posts results to; every registration's postback URL points there. */
  postbackPath: string;
}

export const SCORM_CLOUD_OPTIONS = Symbol('SCORM_CLOUD_OPTIONS');
