import { Controller, Get, Header } from '@nestjs/common';

@Controller()
export class SandboxHomeController {
  @Get('health')
  health() {
    return { status: 'ok' };
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  home(): string {
    return `<!doctype html><meta charset="utf-8"><title>LMS Gateway sandbox</title>
<h1>LMS Gateway sandbox</h1>
<p>This server plays Bazaar, SCORM Cloud and a demo LMS for the gateway.</p>
<ul><li><a href="/demo">Demo LMS page</a></li></ul>`;
  }
}
