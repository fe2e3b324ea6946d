import { gzipSync } from 'node:zlib';

import type { Operation, Schema } from './openapi-operations';

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    bool: (p = 0.5) => next() < p,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    next,
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)],
  };
}

export interface Random {
  next(): number;
  int(min: number, max: number): number;
  bool(p?: number): boolean;
  pick<T>(items: readonly T[]): T;
}

export interface FuzzCase {
  operation: string;
  mutation: string;
  auth: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** Strings that break naive code: traversal, injection, encodings, control characters, sizes. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '../../../../etc/passwd',
  '..%2f..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f%2e%2e%2f',
  '..\\..\\windows\\win.ini',
  "' OR '1'='1",
  "1'; DROP TABLE materials; --",
  '" OR ""="',
  '$where: 1',
  '{"$gt": ""}',
  '<script>alert(1)</script>',
  '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '%00',
  'a\u0000b',
  '\r\nSet-Cookie: evil=1',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
  '-1',
  '0',
  '1e309',
  '99999999999999999999999999',
  '😀🏳️‍🌈',
  '\u202Eevil',
  'ǅǆ Ω ﬁ',
  '\uFFFF\uFFFE',
  '\uD800',
  'https://evil.example/steal',
  'javascript:alert(1)',
  '//evil.example',
  'file:///etc/passwd',
  'http://169.254.169.254/latest/meta-data/',
  'a'.repeat(300),
  'x'.repeat(5000),
];

const NASTY_VALUES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  Number.MAX_SAFE_INTEGER,
  -1e308,
  [],
  [null],
  {},
  { $gt: '' },
  { __proto__: { admin: true } },
  ['a', 'b'],
  'x'.repeat(200_000),
];

export function sampleValue(schema: Schema, random: Random, depth = 0): unknown {
  if (schema.enum?.length) return random.pick(schema.enum);
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants?.length) return sampleValue(random.pick(variants), random, depth + 1);
  switch (schema.type) {
    case 'integer':
      return random.int(Math.max(schema.minimum ?? 0, -1000), Math.min(schema.maximum ?? 1000, 1000));
    case 'number':
      return random.int(0, 100) / 10;
    case 'boolean':
      return random.bool();
    case 'array':
      return depth > 4 ? [] : [sampleValue(schema.items ?? { type: 'string' }, random, depth + 1)];
    case 'object': {
      if (depth > 4) return {};
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(schema.properties ?? {})) {
        if (schema.required?.includes(key) || random.bool(0.6)) out[key] = sampleValue(value, random, depth + 1);
      }
      return out;
    }
    default:
      return sampleString(schema, random);
  }
}

function sampleString(schema: Schema, random: Random): string {
  switch (schema.format) {
    case 'date-time':
      return new Date(Date.UTC(2026, 0, 1 + random.int(0, 300))).toISOString();
    case 'uri':
    case 'url':
      return random.pick(['https://lms.example.edu/course/1', 'http://127.0.0.1:9/back']);
    case 'email':
      return 'learner@example.edu';
    case 'uuid':
      return '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f';
    case 'binary':
      return 'PK\u0003\u0004garbage';
  }
  const length = Math.max(schema.minLength ?? 1, Math.min(schema.maxLength ?? 12, 12));
  return `fz${random.int(0, 1e6).toString(36)}`.padEnd(length, 'x').slice(0, Math.max(length, 3));
}

/** One byte sequence that is not UTF-8 at all: a lone continuation byte, an overlong form, a bad lead. */
const INVALID_UTF8 = Buffer.from([0x80, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xff, 0xfe, 0xc3, 0x28]);

function deepJson(depth: number, shape: 'object' | 'array'): Buffer {
  return shape === 'object'
    ? Buffer.from('{"a":'.repeat(depth) + '1' + '}'.repeat(depth))
    : Buffer.from('['.repeat(depth) + ']'.repeat(depth));
}

const BAD_JSON = [
  '{"a":',
  '{"a":1,}',
  "{'a':1}",
  '{"a":NaN}',
  '\uFEFF{"a":1}',
  '[1,2',
  'null',
  '"just a string"',
  '12345',
  '{"a":"\\ud800"}',
  '{"a":1}{"b":2}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
];

const BAD_XML = [
  '<rsp><a>',
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><registrationreport>&lol3;</registrationreport>',
  '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><registrationreport regid="&e;"/>',
  '<registrationreport regid="r1" instanceid="0"><complete>complete</complete><success>passed</success></registrationreport>',
  `<registrationreport regid="${'r'.repeat(20_000)}"/>`,
  '<a>'.repeat(5000) + '</a>'.repeat(5000),
  '<<<>>>',
];

const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'multipart/form-data',
  'text/xml',
  'application/xml',
  'text/plain',
  'text/html',
  'application/octet-stream',
  'application/vnd.api+json',
  'image/png',
  ';;;',
];

export interface AuthVariant {
  label: string;
  headers: Record<string, string>;
}

/** Like encodeURIComponent, but a lone surrogate goes out as the invalid UTF-8 bytes it would be. */
export function encodeAnything(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value
      .split(/([\uD800-\uDFFF])/)
      .map((part) => (/^[\uD800-\uDFFF]$/.test(part) ? '%ED%A0%80' : encodeURIComponent(part)))
      .join('');
  }
}

function substitutePath(template: string, values: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeAnything(values[name] ?? 'fz-id'));
}

function query(params: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
    for (const item of values) {
      const text = item && typeof item === 'object' ? JSON.stringify(item) : String(item);
      parts.push(`${encodeAnything(key)}=${encodeAnything(text)}`);
    }
  }
  const text = parts.join('&');
  return text ? `?${text}` : '';
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null');

/** The mutations, each a function of the operation and the random stream. Every case is deterministic. */
export function generateCase(operation: Operation, auths: AuthVariant[], random: Random): FuzzCase {
  const bodySchema = operation.bodies['application/json'] ?? Object.values(operation.bodies)[0];
  const bodyType = operation.bodies['application/json'] ? 'application/json' : Object.keys(operation.bodies)[0];
  const pathValues: Record<string, string> = {};
  const queryValues: Record<string, unknown> = {};
  for (const parameter of operation.parameters) {
    if (parameter.in === 'path') pathValues[parameter.name] = String(sampleValue(parameter.schema, random));
    if (parameter.in === 'query' && (parameter.required || random.bool())) {
      queryValues[parameter.name] = sampleValue(parameter.schema, random);
    }
  }
  const valid = bodySchema ? (sampleValue(bodySchema, random) as Record<string, unknown>) : undefined;
  const auth = random.pick(auths);
  const base = {
    auth: auth.label,
    headers: { ...auth.headers } as Record<string, string>,
    method: operation.method,
    operation: operation.id,
  };
  const withBody = (
    mutation: string,
    body: Buffer | undefined,
    contentType = bodyType ?? 'application/json',
  ): FuzzCase => ({
    ...base,
    body,
    headers: { ...base.headers, ...(contentType ? { 'Content-Type': contentType } : {}) },
    mutation,
    path: substitutePath(operation.path, pathValues) + query(queryValues),
  });
  const fields = Object.keys(bodySchema?.properties ?? {});
  const fieldOrExtra = () => (fields.length ? random.pick(fields) : 'fz_field');

  const mutations: (() => FuzzCase)[] = [
    () => withBody('schema-valid', valid ? json(valid) : undefined),
    () => {
      const field = fieldOrExtra();
      const body = { ...valid };
      delete body[field];
      return withBody(`missing ${field}`, json(body));
    },
    () =>
      withBody(
        'extra fields',
        json({ ...valid, is_admin: true, role: 'admin', user_id: 'someone-else', [`fz_${random.int(0, 99)}`]: 1 }),
      ),
    () => {
      const field = fieldOrExtra();
      return withBody(`wrong type ${field}`, json({ ...valid, [field]: random.pick(NASTY_VALUES) }));
    },
    () => {
      const field = fieldOrExtra();
      return withBody(`nasty string ${field}`, json({ ...valid, [field]: random.pick(NASTY_STRINGS) }));
    },
    () => {
      const field = fieldOrExtra();
      return withBody(
        `bad base64 ${field}`,
        json({
          ...valid,
          [field]: random.pick([
            '%%%not-base64',
            'eyJ1aWQiOi',
            '====',
            'e30=e30=',
            Buffer.from([0xff, 0xfe]).toString('base64'),
          ]),
        }),
      );
    },
    () => withBody('body not an object', json(random.pick([[], [valid], 'text', 42, null, true]))),
    () => withBody('deeply nested object', deepJson(random.pick([100, 2000, 20_000]), 'object'), 'application/json'),
    () => withBody('deeply nested array', deepJson(random.pick([100, 2000, 50_000]), 'array'), 'application/json'),
    () =>
      withBody(
        'oversized body',
        Buffer.alloc(1_100_000, 'a'),
        random.pick(['application/json', 'text/xml', 'application/x-www-form-urlencoded']),
      ),
    () => withBody('large field', json({ ...valid, [fieldOrExtra()]: 'y'.repeat(900_000) })),
    () => withBody('bad json', Buffer.from(random.pick(BAD_JSON)), 'application/json'),
    () =>
      withBody(
        'invalid utf-8',
        Buffer.concat([Buffer.from('{"a":"'), INVALID_UTF8, Buffer.from('"}')]),
        'application/json',
      ),
    () =>
      withBody(
        'invalid utf-8 form',
        Buffer.concat([Buffer.from('data='), INVALID_UTF8, Buffer.from('&username=%FF%FE')]),
        'application/x-www-form-urlencoded',
      ),
    () =>
      withBody(
        'xml body',
        Buffer.from(random.pick(BAD_XML)),
        random.pick(['text/xml', 'application/xml', 'application/json']),
      ),
    () => withBody('wrong content type', valid ? json(valid) : Buffer.from('{}'), random.pick(CONTENT_TYPES)),
    () =>
      withBody(
        'form body',
        Buffer.from(
          random.pick([
            'a[b][c][d]=1',
            'data=%7B%22x%22',
            '%E0%A4%A',
            'a=1&a=2&a=3',
            Array.from({ length: 300 }, (_, i) => `p${i}=1`).join('&'),
            'items=not-base64&state=zzz',
          ]),
        ),
        'application/x-www-form-urlencoded',
      ),
    () =>
      withBody(
        'multipart garbage',
        Buffer.from(
          '--xyz\r\nContent-Disposition: form-data; name="file"; filename="../../x.zip"\r\n\r\nPK\u0003\u0004\r\n--xyz',
        ),
        'multipart/form-data; boundary=xyz',
      ),
    () => {
      const gz = gzipSync(valid ? json(valid) : Buffer.from('{}'));
      const c = withBody('content-encoding', random.bool() ? gz : Buffer.from('not gzip'), 'application/json');
      c.headers['Content-Encoding'] = random.pick(['gzip', 'deflate', 'br', 'compress', 'x-unknown']);
      return c;
    },
    () => {
      const c = withBody('huge header', valid ? json(valid) : undefined);
      c.headers[random.pick(['X-Fuzz', 'Cookie', 'Authorization', 'X-Request-Id'])] = random.pick([
        'a'.repeat(8_000),
        'b'.repeat(20_000),
      ]);
      return c;
    },
    () => {
      const c = withBody('header injection', valid ? json(valid) : undefined);
      c.headers['X-Request-Id'] = random.pick([
        '../../x',
        '<script>',
        'a'.repeat(300),
        '\u00ff\u00fe',
        'id with spaces',
      ]);
      c.headers['X-Forwarded-For'] = random.pick(['1.2.3.4, 5.6.7.8', 'garbage', '::1']);
      return c;
    },
    () => {
      const names = Object.keys(pathValues);
      const values = { ...pathValues };
      for (const name of names) values[name] = random.pick(NASTY_STRINGS) || 'x';
      const c = withBody(names.length ? 'nasty path ids' : 'nasty path suffix', valid ? json(valid) : undefined);
      c.path = names.length
        ? substitutePath(operation.path, values) + query(queryValues)
        : `${substitutePath(operation.path, pathValues)}/${encodeAnything(random.pick(NASTY_STRINGS))}`;
      return c;
    },
    () => {
      const c = withBody('raw traversal path', valid ? json(valid) : undefined);
      c.path = `${operation.path.replace(/\{[^}]+\}/g, () => random.pick(['..', '%2e%2e', '..%2f..%2f', '%00', '%ff', '%', '%%32%65']))}`;
      return c;
    },
    () => {
      const names = operation.parameters.filter((p) => p.in === 'query').map((p) => p.name);
      const params: Record<string, unknown> = { ...queryValues };
      for (const name of [...names, 'state', 'refresh', '__proto__[admin]', 'constructor[prototype][x]']) {
        if (random.bool(0.7))
          params[name] = random.bool(0.3) ? [random.pick(NASTY_STRINGS), 'second'] : random.pick(NASTY_STRINGS);
      }
      const c = withBody('nasty query', valid ? json(valid) : undefined);
      c.path = substitutePath(operation.path, pathValues) + query(params);
      return c;
    },
    () => ({ ...withBody('wrong method', undefined), method: random.pick(['PUT', 'PATCH', 'OPTIONS', 'TRACE']) }),
  ];
  return random.pick(mutations)();
}
