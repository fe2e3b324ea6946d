import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ProxyTracerProvider, trace } from '@opentelemetry/api';

/** Sends the spans still buffered when the gateway stops (the batch exporter sends every few seconds). */
@Injectable()
export class TraceFlushService implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    const provider = trace.getTracerProvider();
    const sdk = (provider instanceof ProxyTracerProvider ? provider.getDelegate() : provider) as {
      forceFlush?: () => Promise<void>;
    };
    await sdk.forceFlush?.();
  }
}
