import './tracing/tracing.preload';
import 'reflect-metadata';

import { AppConfigService, loadAppConfig, readEnvironment } from '@app/config';
import { Logger } from '@nestjs/common';
import cluster from 'node:cluster';

import { createGatewayApp } from './configure-app';
import { WORKER_READY, runCluster } from './gateway-cluster';

async function main(): Promise<void> {
  if (cluster.isPrimary) {
    const { instances, log } = loadAppConfig(readEnvironment());
    if (instances.webConcurrency > 1) {
      process.exitCode = await runCluster(instances.webConcurrency, log);
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
  // Start-up failures (bad configuration, unreachable database) end the process with a readable reason.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`LMS Gateway failed to start: ${message}\n`);
  process.exit(1);
});
