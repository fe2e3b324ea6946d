import type { AppConfig } from '@app/config';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { ServerResponse } from 'node:http';

/**
 * The OpenTelemetry SDK with the five instrumentations the gateway needs (http, express, @nestjs/core, pg, pino),
 * not the whole auto-instrumentations bundle (dozens of libraries the gateway does not use). Loaded by
 * tracing.preload.ts only when tracing is on: the SDK and its exporters hold about 35 MB.
 */
export function startTracing({ metrics, tracing }: Pick<AppConfig, 'metrics' | 'tracing'>): NodeSDK {
  const Exporter = tracing.protocol === 'http/json' ? OtlpJsonExporter : OtlpProtobufExporter;
  const sdk = new NodeSDK({
    instrumentations: [
      new HttpInstrumentation({
        // Scrapes and liveness probes arrive every few seconds and say nothing about the gateway's work.
        ignoreIncomingRequestHook: (req) =>
          req.url === '/health' || (metrics.port !== undefined && req.socket.localPort === metrics.port),
        // The span carries the request id the response and the log lines carry, so each finds the other.
        applyCustomAttributesOnSpan: (span, _request, response) => {
          const id = (response as ServerResponse).getHeader?.('x-request-id');
          if (id !== undefined) span.setAttribute('http.response.header.x-request-id', [String(id)]);
        },
      }),
      new ExpressInstrumentation(),
      new NestInstrumentation(),
      new PgInstrumentation(),
      // Log correlation only (trace_id, span_id on each line); the log lines themselves stay in the log.
      new PinoInstrumentation({ disableLogSending: true }),
    ],
    // Traces only: metrics are Prometheus's (METRICS_PORT), logs stay pino's.
    logRecordProcessors: [],
    metricReaders: [],
    serviceName: tracing.serviceName,
    traceExporter: new Exporter({ headers: tracing.headers, url: `${tracing.endpoint}/v1/traces` }),
  });
  sdk.start();
  return sdk;
}
