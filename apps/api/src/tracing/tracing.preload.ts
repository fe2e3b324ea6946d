/**
 * OpenTelemetry tracing, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. main.ts imports this file first: the
 * instrumentations patch http, express, @nestjs/core, pg and pino when Node first loads them, so the SDK must be
 * running before any of them is (@app/config loads none of them).
 */
import { AppConfig, loadAppConfig, readEnvironment } from '@app/config';

function configuration(): AppConfig | undefined {
  try {
    return loadAppConfig(readEnvironment());
  } catch {
    // Bad configuration: main() reports it, naming the variable, and stops.
    return undefined;
  }
}

const config = configuration();
if (config?.tracing.endpoint) {
  // Required only now, so a gateway without tracing never loads the SDK.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./tracing.sdk') as typeof import('./tracing.sdk')).startTracing(config);
}
