import type { OpenAPIObject } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ValidationTypes, getMetadataStorage } from 'class-validator';

type Constraint = Partial<
  Pick<SchemaObject, 'enum' | 'format' | 'maxLength' | 'maximum' | 'minLength' | 'minimum' | 'pattern' | 'type'>
>;

/**
 * What each class-validator rule enforces, as JSON Schema. The validation pipe is the truth; the document states
 * the same rules instead of repeating them by hand in every `@ApiProperty`.
 */
const RULES: Record<string, (constraints: unknown[]) => Constraint> = {
  isEmail: () => ({ format: 'email' }),
  isIn: ([values]) => ({ enum: values as unknown[] }),
  isInt: () => ({ type: 'integer' }),
  isLength: ([min, max]) => ({
    ...(typeof min === 'number' && min > 0 ? { minLength: min } : {}),
    ...(typeof max === 'number' ? { maxLength: max } : {}),
  }),
  isUrl: () => ({ format: 'uri' }),
  matches: ([pattern]) => ({ pattern: pattern instanceof RegExp ? pattern.source : String(pattern) }),
  max: ([value]) => ({ maximum: value as number }),
  maxLength: ([value]) => ({ maxLength: value as number }),
  min: ([value]) => ({ minimum: value as number }),
  minLength: ([value]) => ({ minLength: value as number }),
};

/** The constraints class-validator enforces on each property of a DTO class (inherited ones included). */
export function validationConstraints(target: Function): Map<string, Constraint> {
  const byProperty = new Map<string, Constraint>();
  for (const meta of getMetadataStorage().getTargetValidationMetadatas(target, '', true, false)) {
    if (meta.type !== ValidationTypes.CUSTOM_VALIDATION || !meta.name || !meta.constraints) continue;
    const rule = RULES[meta.name];
    if (!rule) continue;
    byProperty.set(meta.propertyName, { ...byProperty.get(meta.propertyName), ...rule(meta.constraints) });
  }
  return byProperty;
}

/** Every class with validation rules, by name (the name Nest's Swagger module gives its schema). */
function validatedClasses(): Map<string, Function> {
  const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<Function, unknown> };
  return new Map([...storage.validationMetadatas.keys()].map((target) => [target.name, target]));
}

/**
 * Writes each DTO's enforced rules into its component schema. A property documented as `oneOf` (an id that may
 * be a string or an integer) gets the string rules on its string branch.
 */
export function withValidationConstraints(document: OpenAPIObject): OpenAPIObject {
  const classes = validatedClasses();
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
    const target = classes.get(name);
    const properties = (schema as SchemaObject).properties;
    if (!target || !properties) continue;
    for (const [property, constraint] of validationConstraints(target)) {
      const documented = properties[property] as SchemaObject | undefined;
      if (!documented || '$ref' in documented) continue;
      // Fresh objects: Nest's Swagger module may share one schema object between properties.
      properties[property] = documented.oneOf
        ? {
            ...documented,
            oneOf: documented.oneOf.map((branch) =>
              (branch as SchemaObject).type === 'string' ? { ...branch, ...constraint } : { ...branch },
            ),
          }
        : { ...documented, ...constraint };
    }
  }
  return document;
}
