import { MISMATCH_CODES, TokenClaim } from '@app/auth';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';

export const BAZAAR_ROLES = ['student', 'teacher', 'admin'] as const;
export type BazaarRole = (typeof BAZAAR_ROLES)[number];

/**
 * The Bazaar spec's own example sends ids as JSON numbers although its table says strings. We accept a safe integer
 * and convert it to its decimal string, so Bazaar always receives strings and the length rules apply to the
 * digits (the example's school_id 1235 is still refused: 4 characters, the table wants 5-10).
 */
export const IdString = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value,
  );

/**
 * The OpenAPI schema of an `@IdString()` field: a string, or a safe integer that is converted to its decimal
 * string (the length rules, written onto the string branch from the validators, then apply to its digits).
 */
export const ID_STRING_SCHEMA = {
  oneOf: [
    { type: 'string' },
    { description: 'Converted to its decimal string; the length rule applies to its digits', type: 'integer' },
  ],
};

/** How a field relates to the user token (README, "Token scope"). */
export const FROM_TOKEN = (claim: TokenClaim) =>
  `With a user token carrying "${claim}", it is filled from the token when left out, and any other value is ` +
  `refused (403 ${MISMATCH_CODES[claim]}).`;

/**
 * The user and course fields common to `lms/browse` and `lms/view`, with the spec table's rules. The
 * table's "alpha m-n" means a string of m to n characters (the names, schools and city ids it describes
 * carry spaces, digits and hyphens).
 */
export abstract class BazaarUserContextDto {
  @ApiPropertyOptional({
    description: `Required with an API key. ${FROM_TOKEN('given_name')}`,
    example: 'Teppo',
    maxLength: 255,
    minLength: 1,
  })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  first_name?: string;

  @ApiPropertyOptional({
    description: `Required with an API key. ${FROM_TOKEN('family_name')}`,
    example: 'Testaaja',
    maxLength: 255,
    minLength: 1,
  })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  last_name?: string;

  @ApiPropertyOptional({ description: FROM_TOKEN('email'), example: 'teppo.testaaja@koulu.fi', format: 'email' })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  abstract user_id?: string;

  @ApiProperty({
    ...ID_STRING_SCHEMA,
    description:
      "Course or page identifier (string; a JSON integer is accepted). With a student's or teacher's token it " +
      "must be one of the token's contexts (403 CONTEXT_NOT_IN_TOKEN)",
    example: 'course-21',
  })
  @IdString()
  @IsString()
  @Length(1, 128)
  context_id: string;

  @ApiProperty({ example: 'Matematiikka 7A', maxLength: 128, minLength: 1 })
  @IsString()
  @Length(1, 128)
  context_title: string;

  @ApiPropertyOptional({
    description: `Required with an API key. ${FROM_TOKEN('role')}`,
    enum: BAZAAR_ROLES,
    example: 'teacher',
  })
  @IsOptional()
  @IsIn(BAZAAR_ROLES)
  role?: BazaarRole;

  @ApiProperty({ example: 'Koulu', maxLength: 128, minLength: 1 })
  @IsString()
  @Length(1, 128)
  school: string;

  @ApiPropertyOptional({
    ...ID_STRING_SCHEMA,
    description: `School's national identifier. Required with an API key. ${FROM_TOKEN('school_id')}`,
    example: '12345',
  })
  @IsOptional()
  @IdString()
  @IsString()
  @Length(5, 10)
  school_id?: string;

  @ApiProperty({ example: 'Helsinki', maxLength: 64, minLength: 1 })
  @IsString()
  @Length(1, 64)
  city: string;

  @ApiPropertyOptional({
    ...ID_STRING_SCHEMA,
    description: `City's national identifier. Required with an API key. ${FROM_TOKEN('city_id')}`,
    example: '0123456-7',
  })
  @IsOptional()
  @IdString()
  @IsString()
  @Length(1, 10)
  city_id?: string;

  @ApiPropertyOptional({ ...ID_STRING_SCHEMA, description: 'User oid (string or integer), or null', nullable: true })
  @IsOptional()
  @IdString()
  @IsString()
  @Length(1, 32)
  oid?: string | null;
}
