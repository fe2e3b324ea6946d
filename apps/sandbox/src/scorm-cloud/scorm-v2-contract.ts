import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * SCORM Cloud's v2 contract, read at start-up from Rustici's own generated client
 * (`@rusticisoftware/scormcloud-api-v2-client-javascript`, Apache-2.0): operations from its API classes, fields,
 * required fields, types and enums from its models. Nothing is copied: the package is loaded and introspected, so
 * the sandbox refuses what the official definition refuses and agrees with none of our own readings of it.
 */
export const CONTRACT_PACKAGE = '@rusticisoftware/scormcloud-api-v2-client-javascript';

export type ContractType =
  | { kind: 'string' | 'number' | 'boolean' | 'date' | 'any' }
  | { kind: 'enum'; name: string; values: readonly string[] }
  | { kind: 'array'; item: ContractType }
  | { kind: 'map'; value: ContractType }
  | { kind: 'model'; model: ContractModel };

export interface ContractField {
  name: string;
  type: ContractType;
  required: boolean;
}

export interface ContractModel {
  name: string;
  fields: Map<string, ContractField>;
}

export interface ContractQueryParam {
  name: string;
  type: ContractType;
  required: boolean;
}

export interface ContractOperation {
  /** The generated client's name for it, e.g. `createRegistration`. */
  name: string;
  method: string;
  /** As the definition writes it, e.g. `/registrations/{registrationId}/launchLink`. */
  path: string;
  query: Map<string, ContractQueryParam>;
  formParams: string[];
  body?: { name: string; model: ContractModel };
  pattern: RegExp;
  literalSegments: number;
}

/** A request the official definition does not allow; `message` names the field and the rule. */
export class ContractViolation extends Error {}

type Loaded = Record<string, unknown> & ((...args: unknown[]) => unknown);

const load = createRequire(__filename);
const GENERATED = 'src/rustici-software-cloud-v2';
const SENTINEL = '\u0000contract-param:';

function packageRoot(): string {
  try {
    return dirname(load.resolve(`${CONTRACT_PACKAGE}/package.json`));
  } catch {
    throw new Error(
      `The sandbox checks SCORM Cloud v2 requests against Rustici's official client ${CONTRACT_PACKAGE} ` +
        '(a devDependency); install the dev dependencies (npm install) to run it',
    );
  }
}

function parameterNames(fn: unknown): string[] {
  const match = /^function\s*[\w$]*\s*\(([^)]*)\)/.exec(String(fn));
  return match
    ? match[1]
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
    : [];
}

export class ScormV2Contract {
  readonly operations: ContractOperation[] = [];
  private readonly models = new Map<string, ContractModel>();
  private readonly modelDir: string;

  constructor(root = packageRoot()) {
    this.modelDir = join(root, GENERATED, 'rustici-software-cloud-v2-model');
    const apiDir = join(root, GENERATED, 'rustici-software-cloud-v2-api');
    for (const file of readdirSync(apiDir)
      .filter((f) => f.endsWith('.js'))
      .sort()) {
      this.readApi(join(apiDir, file));
    }
    // The most specific template wins: /courses/importJobs/{id} before /courses/{id}.
    this.operations.sort((a, b) => b.literalSegments - a.literalSegments);
  }

  model(name: string): ContractModel {
    const type = this.typeOf(name);
    if (type.kind !== 'model') throw new Error(`${name} is not a model of the v2 definition`);
    return type.model;
  }

  /** The operation a request is for, or undefined when the definition has none for that method and path. */
  operation(method: string, path: string): ContractOperation | undefined {
    const upper = method.toUpperCase();
    return this.operations.find((op) => op.method === upper && op.pattern.test(path));
  }

  /** Throws ContractViolation naming the first parameter or field the definition does not allow. */
  check(op: ContractOperation, query: URLSearchParams, body: unknown, hasBody: boolean): void {
    for (const name of new Set(query.keys())) {
      const param = op.query.get(name);
      if (!param) {
        const allowed = [...op.query.keys()].join(', ') || 'none';
        throw new ContractViolation(`${op.name}: unknown query parameter "${name}" (allowed: ${allowed})`);
      }
      for (const value of query.getAll(name)) this.checkQueryValue(op, param, value);
    }
    for (const param of op.query.values()) {
      if (param.required && !query.has(param.name)) {
        throw new ContractViolation(`${op.name}: query parameter "${param.name}" is required`);
      }
    }
    if (!op.body) return;
    if (!hasBody) throw new ContractViolation(`${op.name}: a JSON ${op.body.model.name} body is required`);
    this.checkValue(body, { kind: 'model', model: op.body.model }, '', op.name);
  }

  private checkQueryValue(op: ContractOperation, param: ContractQueryParam, value: string): void {
    const where = `${op.name}: query parameter "${param.name}"`;
    const kind = param.type.kind === 'array' ? param.type.item.kind : param.type.kind;
    if (kind === 'boolean' && value !== 'true' && value !== 'false') {
      throw new ContractViolation(`${where} must be true or false, got "${value}"`);
    }
    if (kind === 'number' && (value.trim() === '' || !Number.isFinite(Number(value)))) {
      throw new ContractViolation(`${where} must be a number, got "${value}"`);
    }
    if (kind === 'date' && Number.isNaN(Date.parse(value))) {
      throw new ContractViolation(`${where} must be a date-time, got "${value}"`);
    }
  }

  private checkValue(value: unknown, type: ContractType, path: string, op: string): void {
    const where = path || 'the request body';
    const fail = (rule: string): never => {
      throw new ContractViolation(`${op}: ${where} ${rule}`);
    };
    switch (type.kind) {
      case 'any':
        return;
      case 'string':
        if (typeof value !== 'string') fail(`must be a string, got ${describe(value)}`);
        return;
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value)) fail(`must be a number, got ${describe(value)}`);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') fail(`must be a boolean, got ${describe(value)}`);
        return;
      case 'date':
        if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
          fail(`must be a date-time string, got ${describe(value)}`);
        }
        return;
      case 'enum': {
        if (typeof value !== 'string') fail(`must be one of ${type.values.join('|')}, got ${describe(value)}`);
        const text = value as string;
        if (type.values.includes(text)) return;
        const caseOnly = type.values.some((v) => v.toLowerCase() === text.toLowerCase());
        fail(
          `must be one of ${type.values.join('|')}, got "${text}"${caseOnly ? ' (enum values are case-sensitive)' : ''}`,
        );
        return;
      }
      case 'array':
        if (!Array.isArray(value)) fail(`must be an array, got ${describe(value)}`);
        (value as unknown[]).forEach((item, i) => this.checkValue(item, type.item, `${path}[${i}]`, op));
        return;
      case 'map':
        if (!isPlainObject(value)) fail(`must be an object, got ${describe(value)}`);
        for (const [key, item] of Object.entries(value as object)) {
          this.checkValue(item, type.value, path ? `${path}.${key}` : key, op);
        }
        return;
      case 'model': {
        if (!isPlainObject(value)) fail(`must be a ${type.model.name} object, got ${describe(value)}`);
        const object = value as Record<string, unknown>;
        for (const key of Object.keys(object)) {
          if (!type.model.fields.has(key)) {
            throw new ContractViolation(`${op}: ${path ? `${path}.` : ''}${key} is not a field of ${type.model.name}`);
          }
        }
        for (const field of type.model.fields.values()) {
          const child = path ? `${path}.${field.name}` : field.name;
          const present = object[field.name];
          if (present === undefined || present === null) {
            if (field.required) throw new ContractViolation(`${op}: ${child} is required (${type.model.name})`);
            continue;
          }
          this.checkValue(present, field.type, child, op);
        }
        return;
      }
    }
  }

  private readApi(file: string): void {
    const Api = load(file) as new (client: unknown) => Record<string, unknown>;
    const source = readFileSync(file, 'utf8');
    let call: unknown[] | undefined;
    const api = new Api({
      callApi: (...args: unknown[]) => {
        call = args;
      },
    });
    for (const [name, fn] of Object.entries(api)) {
      if (typeof fn !== 'function') continue;
      const params = parameterNames(fn);
      const args = params.map((p) => (p === 'opts' ? {} : p === 'callback' ? undefined : `${SENTINEL}${p}`));
      call = undefined;
      (fn as (...a: unknown[]) => unknown).apply(api, args);
      if (!call) continue;
      const [path, method, , queryParams, collectionQueryParams, , formParams, postBody] = call as [
        string,
        string,
        Record<string, unknown>,
        Record<string, unknown>,
        Record<string, unknown>,
        Record<string, unknown>,
        Record<string, unknown>,
        unknown,
      ];
      const doc = jsDocBefore(source, `this.${name} = function`);
      const query = new Map<string, ContractQueryParam>();
      for (const [param, value] of Object.entries({ ...queryParams, ...collectionQueryParams })) {
        const required = typeof value === 'string' && value.startsWith(SENTINEL);
        query.set(param, { name: param, required, type: this.queryType(doc, param) });
      }
      let body: ContractOperation['body'];
      if (typeof postBody === 'string' && postBody.startsWith(SENTINEL)) {
        const bodyName = postBody.slice(SENTINEL.length);
        const modelName = new RegExp(`@param \\{module:[^}]*-model/(\\w+)\\} ${bodyName}\\b`).exec(doc)?.[1];
        if (modelName) body = { model: this.model(modelName), name: bodyName };
      }
      const segments = path.split('/').filter(Boolean);
      this.operations.push({
        body,
        formParams: Object.keys(formParams),
        literalSegments: segments.filter((s) => !s.startsWith('{')).length,
        method: method.toUpperCase(),
        name,
        path,
        pattern: new RegExp(
          `^/${segments.map((s) => (s.startsWith('{') ? '[^/]+' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('/')}$`,
        ),
        query,
      });
    }
  }

  private queryType(doc: string, param: string): ContractType {
    const declared = new RegExp(`@param \\{([^}]+)\\} (?:opts\\.)?${param}\\b`).exec(doc)?.[1] ?? 'String';
    const array = /^Array\.<(\w+)>$/.exec(declared);
    return array ? { item: this.primitive(array[1]), kind: 'array' } : this.primitive(declared);
  }

  private primitive(name: string): ContractType {
    switch (name) {
      case 'String':
        return { kind: 'string' };
      case 'Number':
      case 'Integer':
        return { kind: 'number' };
      case 'Boolean':
        return { kind: 'boolean' };
      case 'Date':
        return { kind: 'date' };
      default:
        return { kind: 'any' };
    }
  }

  /** A type written in constructFromObject: 'String', ['String'], [Model], {'String': 'String'}, Object, Model. */
  private typeExpression(expression: string): ContractType {
    const text = expression.trim();
    const quoted = /^'(\w+)'$/.exec(text);
    if (quoted) return this.primitive(quoted[1]);
    if (text.startsWith('[') && text.endsWith(']'))
      return { item: this.typeExpression(text.slice(1, -1)), kind: 'array' };
    const map = /^\{\s*'String'\s*:\s*(.+)\}$/.exec(text);
    if (map) return { kind: 'map', value: this.typeExpression(map[1]) };
    if (text === 'Object') return { kind: 'any' };
    return this.typeOf(text);
  }

  private typeOf(name: string): ContractType {
    const cached = this.models.get(name);
    if (cached) return { kind: 'model', model: cached };
    const file = join(this.modelDir, `${name}.js`);
    const exported = load(file) as Loaded;
    if (typeof exported !== 'function') {
      // An enum model (RegistrationCompletion, RegistrationSuccess): its values are its string properties.
      return { kind: 'enum', name, values: Object.values(exported).filter((v): v is string => typeof v === 'string') };
    }
    const model: ContractModel = { fields: new Map(), name };
    this.models.set(name, model);
    const required = new Set(parameterNames(exported));
    const source = readFileSync(file, 'utf8');
    // An enum field is tied to its enum by its JSDoc type, e.g. `@member {module:…/PostBackSchema.AuthTypeEnum} authType`.
    const enums = new Map<string, string>();
    for (const m of source.matchAll(/@member \{module:[^}]*\/\w+\.(\w+Enum)\} (\w+)/g)) enums.set(m[2], m[1]);
    const construct = String(exported.constructFromObject);
    for (const m of construct.matchAll(/obj\.(\w+) = (.+);/g)) {
      const [, field, rhs] = m;
      const converted = /^ApiClient\.convertToType\(data\['\w+'\], (.+)\)$/.exec(rhs);
      const nested = /^(\w+)\.constructFromObject\(data\['\w+'\]\)$/.exec(rhs);
      let type: ContractType;
      if (converted) type = this.typeExpression(converted[1]);
      else if (nested) type = this.typeOf(nested[1]);
      else throw new Error(`${name}.${field}: cannot read the type from "${rhs}"`);
      const enumName = enums.get(field);
      if (enumName) {
        const values = Object.values((exported[enumName] ?? {}) as Record<string, unknown>).filter(
          (v): v is string => typeof v === 'string',
        );
        type = { kind: 'enum', name: `${name}.${enumName}`, values };
      }
      model.fields.set(field, { name: field, required: required.has(field), type });
    }
    return { kind: 'model', model };
  }
}

function jsDocBefore(source: string, marker: string): string {
  const at = source.indexOf(marker);
  if (at < 0) return '';
  const start = source.lastIndexOf('/**', at);
  return start < 0 ? '' : source.slice(start, at);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
