import './tracing/tracing.preload';
import 'reflect-metadata';

import { AppConfigService, loadAppConfig, readEnvironment } from '@app/config';
import { Logger } from '@nestjs/common';
import cluster from 'node:cluster';
import { inspect } from 'node:util';

import { createGatewayApp } from './configure-app';
import { WORKER_READY, runCluster } from './gateway-cluster';

async function main(): Promise<void> {
  if (cluster.isPrimary) {
    const config = loadAppConfig(readEnvironment());
    if (config.instances.webConcurrency > 1) {
      process.exitCode = await runCluster(config.instances.webConcurrency, config);
      return;
    }
  }
  const app = await createGatewayApp();
  const config = app.get(AppConfigService);
  await app.listen(config.http.port, config.http.host);
  new Logger('Gateway').log(
    `LMS Gateway listening on ${config.http.host}:${config.http.port}; public URL ${config.http.publicBaseUrl}, API docs ${config.http.publicBaseUrl}/docs`,
  );
  process.send?.(WORKER_READY);
}

main().catch((error: unknown) => {
  // Start-up failures (bad configuration, unreachable database, port taken) end the process with one readable
  // line; the stack and causes only at LOG_LEVEL=debug or trace.
  process.stderr.write(`LMS Gateway failed to start: ${startFailure(error)}\n`);
  if (error instanceof Error && debugLogging()) process.stderr.write(`${inspect(error)}\n`);
  process.exit(1);
});

function startFailure(error: unknown): string {
  const { address, code, port } = error as { address?: string; code?: string; port?: number };
  if (code === 'EADDRINUSE') {
    return `${address ?? ''}:${port ?? ''} is already in use (PORT=${port ?? ''}); stop what holds it or set PORT`;
  }
  return error instanceof Error ? error.message : String(error);
}

function debugLogging(): boolean {
  try {
    return ['debug', 'trace'].includes(loadAppConfig(readEnvironment()).log.level);
  } catch {
    return false;
  }
}
