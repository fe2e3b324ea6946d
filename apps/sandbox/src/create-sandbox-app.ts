import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

import { SandboxConfig } from './sandbox.config';
import { SandboxLogger } from './sandbox-logger';
import { SandboxModule } from './sandbox.module';

/** Used by `main.ts` and by tests, so the sandbox under test is the one `npm start` runs. */
export async function createSandboxApp(config: SandboxConfig, options: { logger?: boolean } = {}) {
  const app = await NestFactory.create<NestExpressApplication>(SandboxModule.forRoot(config), {
    abortOnError: false,
    logger: options.logger === false ? false : new SandboxLogger(),
    rawBody: true,
  });
  app.useBodyParser('json', { limit: '5mb' });
  app.useBodyParser('urlencoded', { extended: false, limit: '5mb' });
  app.useBodyParser('text', { limit: '5mb', type: ['application/xml', 'text/xml', 'text/plain'] });
  app.enableShutdownHooks();
  app.disable('x-powered-by');
  return app;
}

export function sandboxLogger(): Logger {
  return new Logger('Sandbox');
}
