import busboy from 'busboy';
import type { Request } from 'express';

const MAX_ZIP_BYTES = 250 * 1024 * 1024;

/** Collects the first file of a multipart upload (any field name); the sandbox may hold it in memory. */
export function readUploadedFile(req: Request): Promise<{ data: Buffer; filename: string } | undefined> {
  return new Promise((resolve, reject) => {
    if (!/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) {
      resolve(undefined);
      return;
    }
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: MAX_ZIP_BYTES, files: 1 } });
    } catch (error) {
      reject(error);
      return;
    }
    let result: { data: Buffer; filename: string } | undefined;
    parser.on('file', (_name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        result = { data: Buffer.concat(chunks), filename: info.filename ?? 'course.zip' };
      });
    });
    parser.on('error', reject);
    parser.on('close', () => resolve(result));
    req.pipe(parser);
  });
}
