import { DomainError, ValidationFailedError } from '@app/common';
import { Injectable } from '@nestjs/common';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

import type {
  ParsedPostback,
  PostbackCompletion,
  PostbackProgress,
  PostbackRequest,
  PostbackShape,
  PostbackSuccess,
} from './postback.types';

const MAX_ID_LENGTH = 255;
/** Largest value of the projection's integer columns (PostgreSQL `integer`); 68 years of seconds. */
const MAX_INT32 = 2_147_483_647;
/** Fields whose values never reach the database: the webhook password and the postback token. */
const SECRET_FIELDS = /^(password|pass|urlpass|token)$/i;

const JSON_TYPES = new Set(['application/json']);
const FORM_TYPES = new Set(['application/x-www-form-urlencoded']);
const XML_TYPES = new Set(['application/xml', 'text/xml']);

type Fields = Map<string, string>;

/**
 * Turns any of the five postback shapes into one normalised progress record. Pure: no I/O, no secrets
 * checked here (the receiver authenticates). Every refusal is a 4xx DomainError naming the field and rule.
 */
@Injectable()
export class PostbackParser {
  // Entities stay unexpanded and DOCTYPEs are refused before parsing: no XXE, no billion laughs.
  private readonly xml = new XMLParser({
    attributeNamePrefix: '@_',
    ignoreAttributes: false,
    ignoreDeclaration: true,
    parseAttributeValue: false,
    parseTagValue: false,
    processEntities: false,
    trimValues: true,
  });

  /**
   * The webhook credentials a request carries outside the Authorization header: the GET query's or a form's
   * `userName`/`username` and `password` fields. JSON and XML bodies carry none (SCORM Cloud sends those with HTTP
   * Basic), so they are checked before anything in the body is parsed.
   */
  credentialsOf(req: PostbackRequest): { username: string | undefined; password: string | undefined } {
    const method = req.method.toUpperCase();
    const form = method === 'POST' && FORM_TYPES.has(mediaTypeOf(req));
    const fields =
      method === 'GET' ? parseFields(req.rawQuery) : form ? parseFields(bodyOf(req)) : new Map<string, string>();
    return {
      password: fields.get('password'),
      username: fields.get('userName') ?? fields.get('username') ?? fields.get('urlname'),
    };
  }

  parse(req: PostbackRequest): ParsedPostback {
    const method = req.method.toUpperCase();
    const query = parseFields(req.rawQuery);
    const token = query.get('token') || undefined;
    if (method === 'GET') return this.fromFields(query, 'query', req.rawQuery, token);
    if (method !== 'POST') {
      throw new DomainError('POSTBACK_METHOD_NOT_ALLOWED', `Postbacks use GET or POST, not ${method}`, 'bad_request');
    }

    const mediaType = mediaTypeOf(req);
    const body = bodyOf(req);
    if (JSON_TYPES.has(mediaType) || mediaType.endsWith('+json')) {
      return this.withRaw('v2_json', this.fromV2Json(parseJson(body, 'body')), body, token);
    }
    if (XML_TYPES.has(mediaType) || mediaType.endsWith('+xml')) {
      return this.withRaw('v1_xml', this.fromV1Xml(body, 'body'), body, token);
    }
    if (FORM_TYPES.has(mediaType)) return this.fromFields(parseFields(body), 'form', body, token);
    if (mediaType === 'text/plain') {
      // Some HTTP stacks label a bare XML or JSON report text/plain; accept it by its first character.
      const first = body.trimStart()[0];
      if (first === '<') return this.withRaw('v1_xml', this.fromV1Xml(body, 'body'), body, token);
      if (first === '{') return this.withRaw('v2_json', this.fromV2Json(parseJson(body, 'body')), body, token);
    }
    throw new DomainError(
      'POSTBACK_UNSUPPORTED_MEDIA_TYPE',
      `Content-Type ${mediaType || '(none)'} is not a postback format; send application/json, ` +
        'application/x-www-form-urlencoded (field data) or text/xml',
      'unsupported_media_type',
    );
  }

  /** v2 form, v1 form, or the webhook guide's GET query (with or without a `data` field). */
  private fromFields(fields: Fields, kind: 'form' | 'query', raw: string, urlToken: string | undefined) {
    const token = urlToken ?? (fields.get('token') || undefined);
    const redactedRaw = redactFields(raw);
    const data = fields.get('data');
    if (data !== undefined && data.trim() !== '') {
      const first = data.trimStart()[0];
      if (first === '<') {
        const shape: PostbackShape = kind === 'form' ? 'v1_form' : 'query';
        return { progress: this.fromV1Xml(data, 'data'), redactedRaw, shape, token };
      }
      const shape: PostbackShape = kind === 'form' ? 'v2_form' : 'query';
      return { progress: this.fromV2Json(parseJson(data, 'data')), redactedRaw, shape, token };
    }
    if (kind === 'form') {
      throw new ValidationFailedError(
        'The form field data is required (the registration JSON or XML report)',
        { data: ['data is required'] },
        'POSTBACK_DATA_MISSING',
      );
    }
    return { progress: fromQuery(fields), redactedRaw, shape: 'query' as const, token };
  }

  private withRaw(shape: PostbackShape, progress: PostbackProgress, raw: string, token: string | undefined) {
    return { progress, redactedRaw: raw, shape, token };
  }

  /** SCORM Cloud v2 RegistrationSchema (optionally wrapped as `{registration: {...}}`). */
  private fromV2Json(value: unknown): PostbackProgress {
    if (!isObject(value)) throw invalid('data', 'the registration JSON must be an object');
    const reg = isObject(value.registration) && !('id' in value) ? value.registration : value;
    const score = isObject(reg.score) ? reg.score.scaled : reg.score;
    return {
      completedDate: date(reg.completedDate, 'completedDate'),
      completion: completion(reg.registrationCompletion, 'registrationCompletion'),
      firstAccessDate: date(reg.firstAccessDate, 'firstAccessDate'),
      instance: instance(reg.instance, 'instance'),
      lastAccessDate: date(reg.lastAccessDate, 'lastAccessDate'),
      registrationId: registrationId(reg.id, 'id'),
      score: number(score, 'score.scaled', 0, 100),
      success: success(reg.registrationSuccess, 'registrationSuccess'),
      totalSeconds: seconds(reg.totalSecondsTracked, 'totalSecondsTracked'),
      updated: date(reg.updated, 'updated'),
    };
  }

  /** SCORM Cloud v1 `<registrationreport>`, possibly inside `<rsp stat="ok">`. */
  private fromV1Xml(xml: string, field: string): PostbackProgress {
    if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw malformedXml(field, 'DOCTYPE and ENTITY declarations are refused');
    const valid = XMLValidator.validate(xml);
    if (valid !== true) throw malformedXml(field, `${valid.err.msg} (line ${valid.err.line})`);
    let doc: Record<string, unknown>;
    try {
      doc = this.xml.parse(xml) as Record<string, unknown>;
    } catch (error) {
      throw malformedXml(field, error instanceof Error ? error.message : 'unparseable');
    }
    const rsp = isObject(doc.rsp) ? doc.rsp : undefined;
    const report = rsp?.registrationreport ?? doc.registrationreport;
    if (!isObject(report)) throw invalid(field, 'the XML must contain a <registrationreport> element');
    // format="activity"/"full" reports nest the course-level result in the root <activity>.
    const activity = isObject(report.activity) ? report.activity : undefined;
    const pick = (name: string) => text(report[name]) ?? text(activity?.[name]);
    return {
      completedDate: date(pick('completeddate'), 'completeddate'),
      completion: completion(pick('complete'), 'complete'),
      firstAccessDate: date(pick('firstaccessdate'), 'firstaccessdate'),
      instance: instance(text(report['@_instanceid']), 'instanceid'),
      lastAccessDate: date(pick('lastaccessdate'), 'lastaccessdate'),
      registrationId: registrationId(text(report['@_regid']), 'regid'),
      score: number(pick('score'), 'score', 0, 100),
      success: success(pick('success'), 'success'),
      totalSeconds: seconds(pick('totaltime'), 'totaltime'),
      updated: date(text(report['@_updated']) ?? pick('updated') ?? pick('lastaccessdate'), 'updated'),
    };
  }
}

const mediaTypeOf = (req: PostbackRequest) => (req.contentType ?? '').split(';')[0].trim().toLowerCase();
const bodyOf = (req: PostbackRequest) => (req.rawBody ?? Buffer.alloc(0)).toString('utf8');

function fromQuery(fields: Fields): PostbackProgress {
  const get = (...names: string[]) => names.map((name) => fields.get(name)).find((v) => v !== undefined && v !== '');
  return {
    completedDate: date(get('completed_date', 'completedDate'), 'completed_date'),
    completion: completion(get('completion', 'registrationCompletion', 'complete'), 'completion'),
    firstAccessDate: date(get('first_access_date', 'firstAccessDate'), 'first_access_date'),
    instance: instance(get('instance', 'instanceid'), 'instance'),
    lastAccessDate: date(get('last_access_date', 'lastAccessDate'), 'last_access_date'),
    registrationId: registrationId(get('registration_id', 'regid', 'registrationId'), 'registration_id'),
    score: number(get('score'), 'score', 0, 100),
    success: success(get('success', 'registrationSuccess'), 'success'),
    totalSeconds: seconds(get('total_seconds', 'totaltime', 'totalSecondsTracked'), 'total_seconds'),
    updated: date(get('updated'), 'updated'),
  };
}

/** Form and query fields; the first occurrence of a name wins. */
export function parseFields(raw: string): Fields {
  const fields: Fields = new Map();
  if (!raw) return fields;
  for (const [key, value] of new URLSearchParams(raw)) if (!fields.has(key)) fields.set(key, value);
  return fields;
}

/** Drops secret fields pair by pair, leaving every other byte as received. */
export function redactFields(raw: string): string {
  if (!raw) return raw;
  return raw
    .split('&')
    .filter((pair) => {
      const name = pair.split('=', 1)[0];
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // an undecodable name is kept as it is; it cannot be one of the secret names
      }
      return !SECRET_FIELDS.test(decoded.trim());
    })
    .join('&');
}

function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DomainError(
      'POSTBACK_MALFORMED_JSON',
      `${field} is not valid JSON: ${error instanceof Error ? error.message : 'unparseable'}`,
      'bad_request',
    );
  }
}

function malformedXml(field: string, why: string): DomainError {
  return new DomainError('POSTBACK_MALFORMED_XML', `${field} is not acceptable XML: ${why}`, 'bad_request');
}

function invalid(field: string, rule: string): ValidationFailedError {
  return new ValidationFailedError(`${field}: ${rule}`, { [field]: [rule] }, 'POSTBACK_INVALID');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (isObject(value) && typeof value['#text'] === 'string') return value['#text'];
  return undefined;
}

function registrationId(value: unknown, field: string): string {
  if (typeof value !== 'string' && typeof value !== 'number') throw invalid(field, 'the registration id is required');
  const id = String(value).trim();
  if (!id || id.length > MAX_ID_LENGTH) throw invalid(field, `must be 1-${MAX_ID_LENGTH} characters`);
  return id;
}

function instance(value: unknown, field: string): number {
  if (value === undefined || value === null || value === '') return 0;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > MAX_INT32) throw invalid(field, 'must be a non-negative integer');
  return n;
}

function number(value: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'string' && value.trim().toLowerCase() === 'unknown') return null;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw invalid(field, `must be a number from ${min} to ${max}`);
  return n;
}

/** Whole seconds: the progress projection stores 32-bit integers. */
function seconds(value: unknown, field: string): number | null {
  const n = number(value, field, 0, MAX_INT32);
  return n === null ? null : Math.round(n);
}

function date(value: unknown, field: string): Date | null {
  if (value === undefined || value === null || value === '') return null;
  const d = typeof value === 'string' || typeof value === 'number' ? new Date(value) : new Date(NaN);
  // Years outside 0000-9999 print in expanded form (+275760-…), too long for the ISO timestamp columns.
  const year = d.getUTCFullYear();
  if (Number.isNaN(d.getTime()) || year < 0 || year > 9999) throw invalid(field, 'must be an ISO-8601 date-time');
  return d;
}

const COMPLETION: Record<string, PostbackCompletion> = {
  complete: 'COMPLETED',
  completed: 'COMPLETED',
  incomplete: 'INCOMPLETE',
  unknown: 'UNKNOWN',
};
const SUCCESS: Record<string, PostbackSuccess> = { failed: 'FAILED', passed: 'PASSED', unknown: 'UNKNOWN' };

function completion(value: unknown, field: string): PostbackCompletion {
  if (value === undefined || value === null || value === '') return 'UNKNOWN';
  const found = typeof value === 'string' ? COMPLETION[value.trim().toLowerCase()] : undefined;
  if (!found) throw invalid(field, 'must be COMPLETED, INCOMPLETE or UNKNOWN (v1: complete, incomplete, unknown)');
  return found;
}

function success(value: unknown, field: string): PostbackSuccess {
  if (value === undefined || value === null || value === '') return 'UNKNOWN';
  const found = typeof value === 'string' ? SUCCESS[value.trim().toLowerCase()] : undefined;
  if (!found) throw invalid(field, 'must be PASSED, FAILED or UNKNOWN');
  return found;
}
