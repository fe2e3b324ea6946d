import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';

import { FAULT_MODES, Fault, FaultMode, FaultRegistry } from './fault.registry';
import { RequestCounter } from './request.counter';

interface FaultRequest {
  prefix?: unknown;
  mode?: unknown;
  delay_ms?: unknown;
  count?: unknown;
}

/**
 * Test control: `POST /_sandbox/faults {prefix, mode, delay_ms?, count?}` breaks every request under `prefix`
 * (e.g. `/bazaar/api`, `/scorm/api/v2/registrations`); `DELETE /_sandbox/faults[?prefix=]` clears.
 */
@Controller('_sandbox/faults')
export class FaultsController {
  constructor(private readonly faults: FaultRegistry) {}

  @Get()
  list(): Fault[] {
    return this.faults.list();
  }

  @Post()
  set(@Body() body: FaultRequest): Fault {
    if (typeof body?.prefix !== 'string' || !body.prefix.startsWith('/')) {
      throw new BadRequestException('prefix must be a path starting with /');
    }
    if (!FAULT_MODES.includes(body.mode as FaultMode)) {
      throw new BadRequestException(`mode must be one of ${FAULT_MODES.join(', ')}`);
    }
    const delayMs = body.delay_ms === undefined ? 30_000 : Number(body.delay_ms);
    const count = body.count === undefined ? undefined : Number(body.count);
    if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > 600_000) {
      throw new BadRequestException('delay_ms must be an integer between 0 and 600000');
    }
    if (count !== undefined && (!Number.isInteger(count) || count < 1)) {
      throw new BadRequestException('count must be a positive integer');
    }
    return this.faults.set({ delayMs, mode: body.mode as FaultMode, prefix: body.prefix, remaining: count });
  }

  @Delete()
  @HttpCode(204)
  clear(@Query('prefix') prefix?: string): void {
    this.faults.clear(prefix);
  }
}

/** Test control: `GET /_sandbox/requests` counts what the sandbox received (`{total, by_path}`), e.g. none. */
@Controller('_sandbox/requests')
export class RequestsController {
  constructor(private readonly counter: RequestCounter) {}

  @Get()
  count() {
    return this.counter.snapshot();
  }
}
