import { Public } from '@app/auth';
import { DomainError } from '@app/common';
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ summary: 'Readiness: the database answers' })
  @ApiOkResponse({ schema: { example: { details: { database: { status: 'up' } }, status: 'ok' } } })
  @ApiServiceUnavailableResponse({ description: 'DATABASE_UNAVAILABLE: the database does not answer (Retry-After)' })
  async ready() {
    try {
      return await this.health.check([() => this.db.pingCheck('database', { timeout: 2000 })]);
    } catch {
      // In the one error shape, as every other route answers a database outage.
      throw new DomainError(
        'DATABASE_UNAVAILABLE',
        'The gateway cannot reach its database; nothing was stored or changed. Try again shortly.',
        'unavailable',
      );
    }
  }
}
