import { Body, Controller, Get, HttpCode, HttpException, Put } from '@nestjs/common';

import { ScormSandboxStore } from './scorm-sandbox.store';

/** Test knobs for the sandbox SCORM Cloud (not part of the real API): its clock can be skewed. */
@Controller('scorm/_sandbox')
export class ScormSandboxAdminController {
  constructor(private readonly store: ScormSandboxStore) {}

  @Get('clock')
  clock() {
    return { now: this.store.now().toISOString(), offset_ms: this.store.clockOffsetMs };
  }

  @Put('clock')
  @HttpCode(200)
  setClock(@Body() body: { offset_ms?: unknown }) {
    const offset = Number(body?.offset_ms);
    if (!Number.isFinite(offset)) throw new HttpException('offset_ms must be a number of milliseconds', 400);
    this.store.clockOffsetMs = offset;
    return this.clock();
  }
}
