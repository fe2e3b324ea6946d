import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';

import { FaultInjectionMiddleware } from './fault-injection.middleware';
import { FaultRegistry } from './fault.registry';
import { FaultsController, RequestsController } from './faults.controller';
import { RequestCounter, RequestCountingMiddleware } from './request.counter';

/**
 * Upstream fault injection for the reliability tests (slow, 5xx, resets, malformed bodies, success 0), and a count
 * of the requests received.
 */
@Module({
  controllers: [FaultsController, RequestsController],
  exports: [FaultRegistry, RequestCounter],
  providers: [FaultRegistry, RequestCounter],
})
export class FaultsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestCountingMiddleware, FaultInjectionMiddleware).forRoutes('*');
  }
}
