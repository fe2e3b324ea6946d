import { crc32 } from 'node:zlib';

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
  const files = [
    { data: Buffer.from(MANIFEST), name: 'imsmanifest.xml' },
    { data: Buffer.from(INDEX), name: 'index.html' },
  ];
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { data, name } of files) {
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(10, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0x00210000, 10); // 1980-01-01 00:00
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(10, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt32LE(0x00210000, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const centralSize = centrals.reduce((sum, part) => sum + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}
