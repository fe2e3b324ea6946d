/** The operations an OpenAPI document lists, flattened for the fuzzer, with `$ref`s resolved. */

export type Schema = Record<string, unknown> & {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
};

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  method: string;
  /** OpenAPI template, e.g. /api/v1/contexts/{context_id}/materials */
  path: string;
  id: string;
  parameters: Parameter[];
  /** content type → body schema */
  bodies: Record<string, Schema>;
  isPublic: boolean;
  usesBasicAuth: boolean;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, Schema> };
  security?: unknown[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export function listOperations(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const parameters = [
        ...((item.parameters as unknown as Parameter[]) ?? []),
        ...((op.parameters as Parameter[]) ?? []),
      ].map((p) => ({
        ...p,
        required: Boolean(p.required),
        schema: resolve(document, p.schema ?? { type: 'string' }),
      }));
      const content = ((op.requestBody as { content?: Record<string, { schema?: Schema }> })?.content ?? {}) as Record<
        string,
        { schema?: Schema }
      >;
      const bodies: Record<string, Schema> = {};
      for (const [type, media] of Object.entries(content)) bodies[type] = resolve(document, media.schema ?? {});
      const security = (op.security as Record<string, unknown>[] | undefined) ?? document.security ?? [];
      operations.push({
        bodies,
        id: `${method.toUpperCase()} ${path}`,
        isPublic: Array.isArray(op.security) && (op.security as unknown[]).length === 0,
        method: method.toUpperCase(),
        parameters,
        path,
        usesBasicAuth: security.some((entry) => entry && typeof entry === 'object' && 'webhook' in entry),
      });
    }
  }
  return operations.sort((a, b) => a.id.localeCompare(b.id));
}

/** Inlines `$ref`s and merges `allOf`, bounded so recursive schemas terminate. */
export function resolve(document: OpenApiDocument, schema: Schema, depth = 0): Schema {
  if (depth > 8 || !schema || typeof schema !== 'object') return {};
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop() as string;
    return resolve(document, document.components?.schemas?.[name] ?? {}, depth + 1);
  }
  const out: Schema = { ...schema };
  if (schema.allOf) {
    for (const part of schema.allOf.map((s) => resolve(document, s, depth + 1))) {
      out.properties = { ...out.properties, ...part.properties };
      out.required = [...(out.required ?? []), ...(part.required ?? [])];
      if (part.type) out.type = part.type;
    }
    delete out.allOf;
  }
  if (out.properties) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties).map(([key, value]) => [key, resolve(document, value, depth + 1)]),
    );
    out.type ??= 'object';
  }
  if (out.items) out.items = resolve(document, out.items, depth + 1);
  for (const key of ['oneOf', 'anyOf'] as const) {
    if (out[key]) out[key] = out[key].map((s) => resolve(document, s, depth + 1));
  }
  return out;
}
