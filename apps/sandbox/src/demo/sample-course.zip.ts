import { buildZip } from '../zip/zip-archive.builder';

export const SAMPLE_COURSE_ID = 'demo-photosynthesis';
export const SAMPLE_COURSE_TITLE = 'Photosynthesis in 5 minutes';

const MANIFEST = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="${SAMPLE_COURSE_ID}" version="1.0"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>${SAMPLE_COURSE_TITLE}</title>
      <item identifier="item1" identifierref="res1"><title>${SAMPLE_COURSE_TITLE}</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res1" type="webcontent" adlcp:scormtype="sco" href="index.html">
      <file href="index.html"/>
    </resource>
  </resources>
</manifest>
`;

const INDEX = `<!doctype html><meta charset="utf-8"><title>${SAMPLE_COURSE_TITLE}</title>
<h1>${SAMPLE_COURSE_TITLE}</h1><p>Plants turn light, water and carbon dioxide into sugar and oxygen.</p>
`;

/**
 * A minimal SCORM 1.2 package (imsmanifest.xml + one SCO), zipped here so the demo needs no binary file:
 * the demo LMS imports it through the gateway the first time it finds SCORM Cloud empty.
 */
export function buildSampleCourseZip(): Buffer {
  return buildZip({ 'imsmanifest.xml': MANIFEST, 'index.html': INDEX }, 'store');
}
