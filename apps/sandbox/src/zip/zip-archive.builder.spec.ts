import { readZipEntry } from '../scorm-cloud/scorm-sandbox.zip';
import { buildZip } from './zip-archive.builder';

describe('buildZip', () => {
  const files = { 'imsmanifest.xml': '<manifest/>', 'päivä/index.html': Buffer.from('<h1>Hei</h1>') };

  it.each(['deflate', 'store'] as const)('writes %s entries the sandbox zip reader reads back', (method) => {
    const zip = buildZip(files, method);
    expect(zip.readUInt16LE(8)).toBe(method === 'deflate' ? 8 : 0);
    expect(readZipEntry(zip, (name) => name === 'imsmanifest.xml')?.toString()).toBe('<manifest/>');
    expect(readZipEntry(zip, (name) => name === 'päivä/index.html')?.toString()).toBe('<h1>Hei</h1>');
  });

  it('ends with a directory that counts every entry', () => {
    const zip = buildZip(files);
    expect(zip.readUInt32LE(zip.length - 22)).toBe(0x06054b50);
    expect(zip.readUInt16LE(zip.length - 12)).toBe(2);
  });
});
