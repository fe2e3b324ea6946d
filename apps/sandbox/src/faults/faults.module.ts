import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';

import { FaultInjectionMiddleware } from './fault-injection.middleware';
import { FaultRegistry } from './fault.registry';
import { FaultsController } from './faults.controller';

/** Upstream fault injection for the reliability tests: slow, 5xx, resets, malformed bodies, success 0. */
@Module({
  controllers: [FaultsController],
  exports: [FaultRegistry],
  providers: [FaultRegistry],
})
export class FaultsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(FaultInjectionMiddleware).forRoutes('*');
  }
}
