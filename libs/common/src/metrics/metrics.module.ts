import { Global, Module } from '@nestjs/common';

import { GatewayMetrics } from './gateway.metrics';
import { MetricsEndpoint } from './metrics.endpoint';

/** One metrics registry for the whole application; global like logging, since every library records into it. */
@Global()
@Module({
  exports: [GatewayMetrics],
  providers: [GatewayMetrics, MetricsEndpoint],
})
export class MetricsModule {}
