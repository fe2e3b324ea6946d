import { inflateRawSync } from 'node:zlib';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Reads one entry of a zip held in memory (stored or deflated); enough to find a package's imsmanifest.xml. */
export function readZipEntry(zip: Buffer, wanted: (name: string) => boolean): Buffer | undefined {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const entries = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < entries && offset + 46 <= zip.length; n++) {
    if (zip.readUInt32LE(offset) !== CENTRAL) return undefined;
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localOffset = zip.readUInt32LE(offset + 42);
    const name = zip.subarray(offset + 46, offset + 46 + nameLength).toString('utf8');
    offset += 46 + nameLength + extraLength + commentLength;
    if (!wanted(name)) continue;
    if (zip.readUInt32LE(localOffset) !== LOCAL) return undefined;
    const start = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const data = zip.subarray(start, start + compressedSize);
    if (method === 0) return Buffer.from(data);
    if (method === 8) return inflateRawSync(data);
    return undefined;
  }
  return undefined;
}

/** The package title: the first organization's <title>, else the manifest's first <title>. */
export function manifestTitle(zip: Buffer): { found: boolean; title?: string } {
  const manifest = readZipEntry(zip, (name) => name.toLowerCase() === 'imsmanifest.xml');
  if (!manifest) return { found: false };
  const xml = manifest.toString('utf8');
  const organization = /<organization\b[\s\S]*?<title>([\s\S]*?)<\/title>/i.exec(xml);
  const any = /<title>([\s\S]*?)<\/title>/i.exec(xml);
  const raw = (organization ?? any)?.[1]?.trim();
  return { found: true, title: raw ? decodeXml(raw) : undefined };
}

function decodeXml(value: string): string {
  return value
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
