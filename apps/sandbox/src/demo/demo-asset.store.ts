import { Injectable, NotFoundException, StreamableFile } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const TYPES: Record<string, string> = {
  'demo-lms.css': 'text/css; charset=utf-8',
  'demo-lms.html': 'text/html; charset=utf-8',
  'demo-lms.js': 'text/javascript; charset=utf-8',
};

/** The page's static files: plain HTML, CSS and JS beside this file (nest-cli copies them into dist). */
@Injectable()
export class DemoAssetStore {
  private readonly cache = new Map<string, string>();

  read(file: string): string {
    if (!(file in TYPES)) throw new NotFoundException(`No demo asset "${file}"`);
    let text = this.cache.get(file);
    if (text === undefined) {
      text = readFileSync(join(__dirname, 'public', file), 'utf8');
      this.cache.set(file, text);
    }
    return text;
  }

  response(file: string): StreamableFile {
    const body = Buffer.from(this.read(file));
    return new StreamableFile(body, { length: body.length, type: TYPES[file] });
  }
}
