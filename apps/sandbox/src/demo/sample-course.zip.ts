import { ZipMethod, buildZip } from '../zip/zip-archive.builder';

export const SAMPLE_COURSE_ID = 'demo-photosynthesis';
export const SAMPLE_COURSE_TITLE = 'Photosynthesis in 5 minutes';

const escapeXml = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A minimal SCORM 1.2 package: imsmanifest.xml and one SCO page titled `title`, with `body` under the heading. */
export function buildScorm12Package(options: { id: string; title: string; body?: string; method?: ZipMethod }): Buffer {
  const id = escapeXml(options.id);
  const title = escapeXml(options.title);
  const manifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="${id}" version="1.0"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>${title}</title>
      <item identifier="item1" identifierref="res1"><title>${title}</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res1" type="webcontent" adlcp:scormtype="sco" href="index.html">
      <file href="index.html"/>
    </resource>
  </resources>
</manifest>
`;
  const page = `<!doctype html><meta charset="utf-8"><title>${title}</title>
<h1>${title}</h1>${options.body ?? ''}
`;
  return buildZip({ 'imsmanifest.xml': manifest, 'index.html': page }, options.method);
}

/**
 * The demo course, zipped here so the demo needs no binary file: the demo LMS imports it through the gateway
 * the first time it finds SCORM Cloud empty.
 */
export function buildSampleCourseZip(): Buffer {
  return buildScorm12Package({
    body: '<p>Plants turn light, water and carbon dioxide into sugar and oxygen.</p>',
    id: SAMPLE_COURSE_ID,
    method: 'store',
    title: SAMPLE_COURSE_TITLE,
  });
}
