import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';

import { RequestCounter } from './request-counter';
import { RequestCounterMiddleware } from './request-counter.middleware';
import { RequestsController } from './requests.controller';

/** Counts the requests the sandbox receives, for tests that must show an upstream was asked exactly once. */
@Module({
  controllers: [RequestsController],
  providers: [RequestCounter],
})
export class RequestsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestCounterMiddleware).forRoutes('*');
  }
}
