import { ErrorDetails, ValidationFailedError } from '@app/common';

import { RESOURCE_UID_PATTERN } from './dto/view-request.dto';

export interface MaterialImage {
  url: string;
  width?: number;
  height?: number;
}

export const IMAGE_KINDS = ['thumbnail', 'standard_resolution', 'low_resolution'] as const;
export type MaterialImages = Partial<Record<(typeof IMAGE_KINDS)[number], MaterialImage>>;

export interface PickedMaterial {
  uid: string;
  name: string;
  description: string | null;
  images: MaterialImages | null;
}

/** More than this many items in one callback is not a store click. */
export const MAX_ITEMS_PER_CALLBACK = 50;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes what a Bazaar store posts to `add_resource_callback_url`. The Bazaar spec sends base64 JSON in the form
 * field `params`; the older reference store posts raw JSON, sometimes an array (docs/sources.md). Every
 * failure is a ValidationFailedError naming the item and field; nothing partial is returned.
 */
export function decodeCallbackParams(body: unknown): PickedMaterial[] {
  const payload = payloadOf(body);
  const items = Array.isArray(payload) ? payload : [payload];
  if (!items.length) throw invalid('params', 'params must hold at least one material');
  if (items.length > MAX_ITEMS_PER_CALLBACK) {
    throw invalid('params', `params may hold at most ${MAX_ITEMS_PER_CALLBACK} materials`);
  }
  const details: ErrorDetails = {};
  const byUid = new Map<string, PickedMaterial>();
  items.forEach((item, index) => {
    const path = Array.isArray(payload) ? `params[${index}]` : 'params';
    const material = validateItem(item, path, details);
    if (material) byUid.set(material.uid, material);
  });
  const problems = Object.values(details).flat();
  if (problems.length) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    throw new ValidationFailedError(`${problems[0]}${more}`, details, 'BAZAAR_PARAMS_INVALID');
  }
  return [...byUid.values()];
}

function payloadOf(body: unknown): unknown {
  if (typeof body === 'string') return parseParams(body);
  if (!body || typeof body !== 'object') throw invalid('params', 'the callback carries no params');
  const { params } = body as { params?: unknown };
  if (params === undefined) {
    // A JSON body that is the material itself (the older reference store).
    if (Array.isArray(body) || 'uid' in body) return body;
    throw invalid('params', 'the callback carries no params field');
  }
  if (typeof params === 'string') return parseParams(params);
  if (typeof params === 'object' && params !== null) return params;
  throw invalid('params', 'params must be base64 JSON or JSON');
}

function parseParams(raw: string): unknown {
  const text = raw.trim();
  if (!text) throw invalid('params', 'params is empty');
  if (text.startsWith('{') || text.startsWith('[')) return parseJson(text, 'params is not valid JSON');
  // Some encoders wrap base64 at 76 columns; whitespace is not part of the data.
  const compact = text.replace(/\s+/g, '');
  let bytes: Buffer;
  if (BASE64.test(compact)) bytes = Buffer.from(compact, 'base64');
  else if (BASE64URL.test(compact) && compact.length % 4 !== 1) bytes = Buffer.from(compact, 'base64url');
  else throw invalid('params', 'params must be base64-encoded JSON (or raw JSON)');
  let decoded: string;
  try {
    decoded = utf8.decode(bytes);
  } catch {
    throw invalid('params', 'params does not decode to UTF-8 text');
  }
  const json = decoded.replace(/^\uFEFF/, '').trim();
  if (!json.startsWith('{') && !json.startsWith('[')) throw invalid('params', 'params does not decode to JSON');
  return parseJson(json, 'params does not decode to valid JSON');
}

function parseJson(text: string, message: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalid('params', message);
  }
}

function validateItem(item: unknown, path: string, details: ErrorDetails): PickedMaterial | undefined {
  const add = (field: string, message: string) => (details[`${path}.${field}`] ??= []).push(message);
  if (!item || typeof item !== 'object' || Array.isArray(item)) {
    (details[path] ??= []).push(`${path} must be a JSON object`);
    return undefined;
  }
  const { uid, name, description, images } = item as Record<string, unknown>;
  if (typeof uid !== 'string' || !RESOURCE_UID_PATTERN.test(uid)) {
    add('uid', `${path}.uid is required: a UUID or a 1-128 character id without spaces`);
  }
  const trimmedName = typeof name === 'string' ? name.trim() : '';
  if (!trimmedName || trimmedName.length > 128) add('name', `${path}.name is required, 1-128 characters`);
  if (description != null && (typeof description !== 'string' || description.length > 2000)) {
    add('description', `${path}.description must be text of at most 2000 characters`);
  }
  const checkedImages = validateImages(images, `${path}.images`, details);
  if (Object.keys(details).some((key) => key === path || key.startsWith(`${path}.`))) return undefined;
  return {
    description: typeof description === 'string' && description.length ? description : null,
    images: checkedImages ?? null,
    name: trimmedName,
    uid: uid as string,
  };
}

function validateImages(images: unknown, path: string, details: ErrorDetails): MaterialImages | undefined {
  if (images == null) return undefined;
  const add = (field: string, message: string) => (details[`${path}.${field}`] ??= []).push(message);
  if (typeof images !== 'object' || Array.isArray(images)) {
    (details[path] ??= []).push(`${path} must be an object`);
    return undefined;
  }
  const result: MaterialImages = {};
  for (const kind of IMAGE_KINDS) {
    const image = (images as Record<string, unknown>)[kind];
    if (image == null) continue;
    if (typeof image !== 'object' || Array.isArray(image)) {
      add(kind, `${path}.${kind} must be an object with url, width and height`);
      continue;
    }
    const { url, width, height } = image as Record<string, unknown>;
    if (!isHttpUrl(url)) add(`${kind}.url`, `${path}.${kind}.url must be an http(s) URL`);
    for (const [field, value] of [
      ['width', width],
      ['height', height],
    ] as const) {
      if (value != null && !(typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 100_000)) {
        add(`${kind}.${field}`, `${path}.${kind}.${field} must be a positive integer`);
      }
    }
    result[kind] = {
      url: url as string,
      ...(typeof width === 'number' ? { width } : {}),
      ...(typeof height === 'number' ? { height } : {}),
    };
  }
  return Object.keys(result).length ? result : undefined;
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 2000) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function invalid(field: string, message: string): ValidationFailedError {
  return new ValidationFailedError(message, { [field]: [message] }, 'BAZAAR_PARAMS_INVALID');
}
