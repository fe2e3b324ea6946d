import { Controller, Delete, Get, HttpCode, Query } from '@nestjs/common';

import { RequestCounter } from './request-counter';

/**
 * Test control: `GET /_sandbox/requests[?prefix=/scorm/api/v2/registrations]` answers `{total, requests}` with the
 * count per "METHOD /path" received since the last `DELETE /_sandbox/requests`, so a test can tell how often the
 * gateway (or several of them) really called the upstream.
 */
@Controller('_sandbox/requests')
export class RequestsController {
  constructor(private readonly counter: RequestCounter) {}

  @Get()
  list(@Query('prefix') prefix?: string): { total: number; requests: Record<string, number> } {
    const requests = this.counter.list(typeof prefix === 'string' ? prefix : '');
    return { requests, total: Object.values(requests).reduce((sum, n) => sum + n, 0) };
  }

  @Delete()
  @HttpCode(204)
  reset(): void {
    this.counter.reset();
  }
}
