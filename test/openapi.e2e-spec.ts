import { ERROR_CODES, ERROR_CODE_LIST } from '@app/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { validationConstraints } from '../apps/api/src/openapi/validation-constraints';
import { BrowseRequestDto } from '../libs/bazaar/src/dto/browse-request.dto';
import { ViewRequestDto } from '../libs/bazaar/src/dto/view-request.dto';
import { CreateRegistrationDto, LaunchRegistrationDto } from '../libs/scorm-cloud/src/dto/registration.dto';
import { listOperations } from './fuzz/openapi-operations';
import { rawRequest } from './support/raw-http';
import { RunningGateway, startGateway } from './support/stack';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const sortKeys = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(sortKeys)
    : value && typeof value === 'object'
      ? Object.fromEntries(
          Object.keys(value)
            .sort()
            .map((key) => [key, sortKeys((value as Json)[key])]),
        )
      : value;

/** The OpenAPI document the running gateway serves, checked against what the gateway really does. */
describe('the OpenAPI document (/docs-json) tells the truth', () => {
  let gateway: RunningGateway;
  let doc: Json;
  const operations = () =>
    Object.entries(doc.paths as Json).flatMap(([path, item]) =>
      Object.entries(item as Json).map(([method, op]) => ({ id: `${method.toUpperCase()} ${path}`, method, op, path })),
    );

  beforeAll(async () => {
    gateway = await startGateway();
    const res = await rawRequest(gateway.url, { method: 'GET', path: '/docs-json' });
    expect(res.status).toBe(200);
    doc = res.json as Json;
  });
  afterAll(() => gateway?.close());

  it('puts a lock only on routes that demand a bearer token, the postbacks under their own scheme only', async () => {
    expect(doc.security).toEqual([{ bearer: [] }]);
    const seen = { bearer: 0, open: 0, webhook: 0 };
    for (const op of listOperations(doc as never)) {
      const { security } = (doc.paths[op.path] as Json)[op.method.toLowerCase()] as Json;
      const path = op.path.replace(/\{[^}]+\}/g, 'doc-check-id');
      const body = op.method === 'GET' || op.method === 'DELETE' ? undefined : '{}';
      const headers: Record<string, string> = body ? { 'Content-Type': 'application/json' } : {};
      const anonymous = await rawRequest(gateway.url, { body, headers, method: op.method, path });
      const challenge = String(anonymous.headers['www-authenticate'] ?? '');
      if (op.usesBasicAuth) {
        seen.webhook++;
        expect({ op: op.id, security }).toEqual({ op: op.id, security: [{ webhook: [] }] });
        expect({ op: op.id, status: anonymous.status, challenge }).toEqual({
          challenge: expect.stringMatching(/^Basic /),
          op: op.id,
          status: 401,
        });
      } else if (op.isPublic) {
        seen.open++;
        expect({ op: op.id, status: anonymous.status }).not.toEqual({ op: op.id, status: 401 });
      } else {
        // Its own bearer requirement, or the document's: the route must refuse an anonymous caller.
        seen.bearer++;
        expect({ op: op.id, security: security ?? doc.security }).toEqual({ op: op.id, security: [{ bearer: [] }] });
        expect({ op: op.id, status: anonymous.status, code: anonymous.json?.code, challenge }).toEqual({
          challenge: expect.stringMatching(/^Bearer /),
          code: 'AUTH_MISSING',
          op: op.id,
          status: 401,
        });
      }
    }
    expect(seen.bearer).toBeGreaterThan(10);
    expect(seen.webhook).toBe(4);
    expect(seen.open).toBe(5);
    // The health checks, the JWKS and the two Bazaar callbacks.
    for (const id of [
      'GET /health',
      'GET /health/ready',
      'GET /.well-known/jwks.json',
      'POST /api/v1/bazaar/callbacks/add',
      'GET /api/v1/bazaar/callbacks/cancel',
    ]) {
      expect({ id, security: operations().find((o) => o.id === id)?.op.security }).toEqual({ id, security: [] });
    }
  });

  it('lists each security requirement once per operation', () => {
    for (const { id, op } of operations()) {
      const requirements = ((op.security as unknown[]) ?? []).map((r) => JSON.stringify(r));
      expect({ id, requirements }).toEqual({ id, requirements: [...new Set(requirements)] });
      for (const requirement of op.security ?? []) expect(Object.keys(requirement)).toHaveLength(1);
    }
  });

  it('gives every error response an example of its own status class in the error shape', () => {
    for (const { id, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses as Json)) {
        if (!/^[45]/.test(status)) continue;
        const media = (response as Json).content?.['application/json'];
        expect({ id, status, schema: media?.schema }).toEqual({
          id,
          schema: { $ref: '#/components/schemas/ApiErrorDto' },
          status,
        });
        const example = media.example as Json;
        const [low, high] = status === '4XX' ? [400, 499] : status === '5XX' ? [500, 599] : [+status, +status];
        expect({ id, status, inClass: example.statusCode >= low && example.statusCode <= high }).toEqual({
          id,
          inClass: true,
          status,
        });
        expect(Object.keys(ERROR_CODES)).toContain(example.code);
      }
      expect(op.responses['4XX']).toBeDefined();
      expect(op.responses['5XX']).toBeDefined();
    }
  });

  it('lists every error code the gateway can answer, as one enum', () => {
    const code = doc.components.schemas.ApiErrorDto.properties.code;
    expect(code.allOf).toEqual([{ $ref: '#/components/schemas/ErrorCode' }]);
    const codes = doc.components.schemas.ErrorCode;
    expect(codes.enum).toEqual(ERROR_CODE_LIST);
    for (const name of ['AUTH_MISSING', 'BAZAAR_TIMEOUT', 'DATABASE_UNAVAILABLE', 'REGISTRATION_FORBIDDEN'])
      expect(codes.enum).toContain(name);
    for (const name of ERROR_CODE_LIST) expect(code.description).toContain(`\`${name}\` ${ERROR_CODES[name]}`);
    expect(doc.components.schemas.ApiErrorDto.properties.statusCode).toMatchObject({ maximum: 599, minimum: 400 });
  });

  it('states every length, pattern and enum the validation pipe enforces on a request body', () => {
    const schemas = doc.components.schemas as Json;
    let checked = 0;
    for (const [name, schema] of Object.entries(schemas)) {
      const target = REQUEST_DTOS[name];
      if (!target) continue;
      for (const [property, constraint] of validationConstraints(target)) {
        const documented = schema.properties[property] as Json | undefined;
        const stringSchema = documented?.oneOf?.find((branch: Json) => branch.type === 'string') ?? documented;
        expect({ name, property, documented: stringSchema }).toEqual({
          documented: expect.objectContaining(constraint),
          name,
          property,
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);

    const registration = schemas.CreateRegistrationDto.properties;
    const scormId = { minLength: 1, pattern: '^[A-Za-z0-9._~-]+$', type: 'string' };
    expect(registration.course_id).toMatchObject({ ...scormId, maxLength: 255 });
    expect(registration.registration_id).toMatchObject({ ...scormId, maxLength: 128 });
    for (const field of ['learner_id', 'learner_first_name', 'learner_last_name', 'context_id'])
      expect(registration[field]).toMatchObject({ maxLength: 255, minLength: 1, type: 'string' });
    // oid, like the other Bazaar ids, may be a string, a JSON integer, or (oid only) null.
    expect(schemas.BrowseRequestDto.properties.oid).toEqual(
      expect.objectContaining({
        nullable: true,
        oneOf: [{ maxLength: 32, minLength: 1, type: 'string' }, expect.objectContaining({ type: 'integer' })],
      }),
    );
    expect(schemas.BrowseRequestDto.properties.oid.type).toBeUndefined();
    expect(schemas.ViewRequestDto.properties.resource_uid.pattern).toBeDefined();
  });

  it('states the rules of the path parameters', () => {
    const param = (path: string, method: string, name: string) =>
      (doc.paths[path][method].parameters as Json[]).find((p) => p.name === name)?.schema;
    const scormId = { minLength: 1, pattern: '^[A-Za-z0-9._~-]+$' };
    expect(param('/api/v1/scorm/registrations/{id}', 'get', 'id')).toMatchObject({ ...scormId, maxLength: 128 });
    expect(param('/api/v1/scorm/courses/{id}', 'delete', 'id')).toMatchObject({ ...scormId, maxLength: 255 });
    expect(param('/api/v1/contexts/{context_id}/materials/{uid}', 'delete', 'uid')).toMatchObject({
      maxLength: 128,
      minLength: 1,
    });
    expect(param('/api/v1/scorm/learners/{learner_id}/progress', 'get', 'learner_id')).toMatchObject({
      maxLength: 255,
      minLength: 1,
    });
  });

  it('is the committed snapshot docs/openapi.json (npm run openapi)', () => {
    const snapshot = JSON.parse(readFileSync(join(__dirname, '..', 'docs', 'openapi.json'), 'utf8'));
    expect(sortKeys(doc)).toEqual(snapshot);
  });
});

/** The request bodies the validation pipe checks, by schema name. */
const REQUEST_DTOS: Record<string, Function> = {
  BrowseRequestDto,
  CreateRegistrationDto,
  LaunchRegistrationDto,
  ViewRequestDto,
};
