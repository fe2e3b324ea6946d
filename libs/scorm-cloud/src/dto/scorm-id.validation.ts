import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

/**
 * Course and registration ids the gateway sends to SCORM Cloud. SCORM Cloud documents them only as unique; they
 * travel as v2 path segments and v1 signed parameters, through proxies and access logs. Only RFC 3986's
 * unreserved characters survive every one of those unchanged (a `/` or `%` in a path segment is refused or
 * rewritten by many servers), and an LMS can always map its own ids onto them (the gateway's default is a UUID).
 */
export const SCORM_ID_PATTERN = /^[A-Za-z0-9._~-]+$/;
export const SCORM_ID_RULE = 'may contain only letters, digits and . _ ~ -';
/** The registrations table keys ids of at most this length. */
export const REGISTRATION_ID_MAX_LENGTH = 128;
export const COURSE_ID_MAX_LENGTH = 255;

export interface ScormIdOptions {
  maxLength: number;
  description?: string;
  example?: string;
  optional?: boolean;
}

/** A SCORM Cloud id field: 1-`maxLength` unreserved characters, declared the same way in the OpenAPI document. */
export function IsScormId(field: string, options: ScormIdOptions): PropertyDecorator {
  const { maxLength, optional = false, ...doc } = options;
  const schema = { ...doc, maxLength, minLength: 1, pattern: SCORM_ID_PATTERN.source };
  return applyDecorators(
    ...(optional ? [ApiPropertyOptional(schema), IsOptional()] : [ApiProperty(schema)]),
    IsString(),
    Length(1, maxLength),
    Matches(SCORM_ID_PATTERN, { message: `${field} ${SCORM_ID_RULE}` }),
  );
}
