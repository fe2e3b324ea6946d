import { DomainError, ValidationFailedError } from '@app/common';
import { Injectable } from '@nestjs/common';
import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import { PassThrough, Readable } from 'node:stream';

import { CoursesService, ImportOutcome } from './courses.service';

/** Largest course zip accepted; SCORM packages with video rarely exceed it. */
export const MAX_COURSE_ZIP_BYTES = 200 * 1024 * 1024;
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

export interface CourseUploadOptions {
  courseId?: string;
  mayCreateNewVersion?: boolean;
  maxBytes?: number;
}

const tooLarge = (limit: number) =>
  new DomainError('PAYLOAD_TOO_LARGE', `The course zip is larger than ${limit} bytes`, 'payload_too_large');

/**
 * Streams a multipart course upload (field `file`) straight into SCORM Cloud's import: the zip is never held in
 * memory or on disk. The first bytes must be a zip local-file header; the size limit is enforced while streaming.
 */
@Injectable()
export class CourseUploadService {
  constructor(private readonly courses: CoursesService) {}

  async importFromRequest(req: IncomingMessage, options: CourseUploadOptions = {}): Promise<ImportOutcome> {
    const maxBytes = options.maxBytes ?? MAX_COURSE_ZIP_BYTES;
    const type = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data/i.test(type)) {
      throw new DomainError(
        'UNSUPPORTED_MEDIA_TYPE',
        'Upload the course as multipart/form-data with the zip in the field "file"',
        'unsupported_media_type',
      );
    }
    const declared = Number(req.headers['content-length']);
    // Multipart framing adds a few hundred bytes around the file.
    if (Number.isFinite(declared) && declared > maxBytes + 64 * 1024) throw tooLarge(maxBytes);

    const file = await this.firstFile(req, maxBytes);
    const stream = await requireZip(file.stream);
    let exceeded = false;
    file.stream.on('limit', () => {
      exceeded = true;
      stream.destroy(tooLarge(maxBytes));
    });
    try {
      return await this.courses.importCourse({
        courseId: options.courseId,
        file: stream,
        filename: file.filename,
        mayCreateNewVersion: options.mayCreateNewVersion,
      });
    } catch (error) {
      // Drain the rest of the upload so the client gets our answer instead of a stalled connection.
      file.stream.unpipe();
      file.stream.resume();
      if (exceeded) throw tooLarge(maxBytes);
      throw error;
    }
  }

  private firstFile(req: IncomingMessage, maxBytes: number): Promise<{ stream: Readable; filename: string }> {
    return new Promise((resolve, reject) => {
      let parser: busboy.Busboy;
      try {
        parser = busboy({ headers: req.headers, limits: { fileSize: maxBytes, files: 1, parts: 20 } });
      } catch {
        reject(new ValidationFailedError('The multipart body is malformed', { file: ['multipart body is malformed'] }));
        return;
      }
      let found = false;
      parser.on('file', (name, stream, info) => {
        if (found || name !== 'file') {
          stream.resume();
          return;
        }
        found = true;
        resolve({ filename: safeFilename(info.filename), stream });
      });
      parser.on('error', () => {
        if (!found)
          reject(
            new ValidationFailedError('The multipart body is malformed', { file: ['multipart body is malformed'] }),
          );
      });
      parser.on('close', () => {
        if (!found)
          reject(
            new ValidationFailedError('The course zip is missing', {
              file: ['a zip file is required in the field "file"'],
            }),
          );
      });
      req.pipe(parser);
    });
  }
}

function safeFilename(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  return /^[\w .()-]{1,200}$/.test(base) ? base : 'course.zip';
}

/** Waits for the first four bytes, checks the zip signature, and hands on a stream that still starts with them. */
export function requireZip(file: Readable): Promise<Readable> {
  return new Promise((resolve, reject) => {
    const head: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      file.off('data', onData);
      file.off('end', onEnd);
      file.off('error', onError);
    };
    const finish = () => {
      cleanup();
      file.pause();
      const prefix = Buffer.concat(head);
      if (prefix.length < 4 || !prefix.subarray(0, 4).equals(ZIP_MAGIC)) {
        file.resume();
        reject(
          new DomainError(
            'NOT_A_ZIP',
            'The uploaded file is not a zip archive (a SCORM package is a .zip)',
            'unsupported_media_type',
          ),
        );
        return;
      }
      const out = new PassThrough();
      out.write(prefix);
      file.on('error', (error) => out.destroy(error));
      file.pipe(out);
      resolve(out);
    };
    const onData = (chunk: Buffer) => {
      head.push(chunk);
      size += chunk.length;
      if (size >= 4) finish();
    };
    const onEnd = () => finish();
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    file.on('data', onData);
    file.on('end', onEnd);
    file.on('error', onError);
  });
}
