import { ValidationError, ValidationPipe } from '@nestjs/common';

import { ErrorDetails, ValidationFailedError } from '../errors/domain.error';

/** Flattens class-validator errors into `{ "field.path": ["message (rule: name)"] }`. */
export function validationDetails(errors: ValidationError[], parent = ''): ErrorDetails {
  const details: ErrorDetails = {};
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const rules = Object.entries(error.constraints ?? {});
    // Optional fields skip validation when absent, so an absent value that broke a rule is a required field.
    const missing = error.value === undefined && rules.length > 0 && !('whitelistValidation' in error.constraints!);
    const messages = missing
      ? [`${path} is required (rule: isDefined)`]
      : rules.map(([rule, message]) =>
          rule === 'whitelistValidation'
            ? `${path} is not an allowed field (rule: whitelist)`
            : `${message} (rule: ${rule})`,
        );
    if (messages.length) details[path] = messages;
    Object.assign(details, validationDetails(error.children ?? [], path));
  }
  return details;
}

export function validationFailure(errors: ValidationError[]): ValidationFailedError {
  const details = validationDetails(errors);
  const first = Object.values(details)[0]?.[0] ?? 'The request is not valid';
  const more = Object.keys(details).length - 1;
  return new ValidationFailedError(more > 0 ? `${first} (and ${more} more)` : first, details);
}

/** Whitelist, refuse unknown fields, transform to DTO classes; every failure names the field and the rule. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    exceptionFactory: validationFailure,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    // Values are kept only to tell a missing field from a wrong one; messages never echo them.
    validationError: { target: false, value: true },
    whitelist: true,
  });
}
