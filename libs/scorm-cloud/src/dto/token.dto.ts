import { ApiProperty } from '@nestjs/swagger';

export class ScormTokenDto {
  @ApiProperty({ description: 'RS256 JWT: iss/sub = app id, aud = SCORM, kid = key thumbprint' })
  token: string;

  @ApiProperty({ example: 'Bearer' })
  token_type: string;

  @ApiProperty({ example: '2026-11-23T06:00:00.000Z' })
  expires_at: string;
}

export class JwkDto {
  @ApiProperty({ example: 'RSA' })
  kty: string;

  @ApiProperty({ description: 'RFC 7638 thumbprint' })
  kid: string;

  @ApiProperty({ example: 'RS256' })
  alg: string;

  @ApiProperty({ example: 'sig' })
  use: string;

  @ApiProperty()
  n: string;

  @ApiProperty({ example: 'AQAB' })
  e: string;
}

export class JwksDto {
  @ApiProperty({ type: [JwkDto] })
  keys: JwkDto[];
}
