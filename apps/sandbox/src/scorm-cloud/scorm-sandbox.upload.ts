import busboy from 'busboy';
import type { Request } from 'express';

const MAX_ZIP_BYTES = 250 * 1024 * 1024;

export interface UploadedFile {
  data: Buffer;
  filename: string;
  /** The multipart field it came in, so a caller can hold it to the field names its contract allows. */
  field: string;
}

/** Collects the first file of a multipart upload; the sandbox may hold it in memory. */
export function readUploadedFile(req: Request): Promise<UploadedFile | undefined> {
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
    let result: UploadedFile | undefined;
    parser.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        result = { data: Buffer.concat(chunks), field, filename: info.filename ?? 'course.zip' };
      });
    });
    parser.on('error', reject);
    parser.on('close', () => resolve(result));
    req.pipe(parser);
  });
}
