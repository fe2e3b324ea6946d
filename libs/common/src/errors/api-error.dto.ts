import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { ERROR_CODES, ERROR_CODE_LIST, ErrorCode } from './error-codes';

/** The body of every 4xx/5xx answer. */
export class ApiErrorDto {
  @ApiProperty({ example: 400, maximum: 599, minimum: 400, type: 'integer' })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({ example: 'email must be an email (rule: isEmail)' })
  message: string;

  @ApiProperty({
    description:
      'Stable machine-readable error code, one of:\n' +
      ERROR_CODE_LIST.map((code) => `- \`${code}\` ${ERROR_CODES[code]}`).join('\n'),
    enum: ERROR_CODE_LIST,
    enumName: 'ErrorCode',
    example: 'VALIDATION_FAILED',
  })
  code: ErrorCode;

  @ApiProperty({ example: '2b4f7a0e-5d1c-4a4e-9f77-3c0f3f1f8a11', description: 'Also sent as the X-Request-Id header' })
  request_id: string;

  @ApiPropertyOptional({
    description: 'Per-field messages on validation errors',
    example: { email: ['email must be an email (rule: isEmail)'] },
    type: 'object',
    additionalProperties: { type: 'array', items: { type: 'string' } },
  })
  details?: Record<string, string[]>;
}
