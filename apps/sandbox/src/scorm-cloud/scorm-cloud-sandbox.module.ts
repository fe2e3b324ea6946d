import { Injectable, MiddlewareConsumer, Module, NestMiddleware, NestModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

import { ScormSandboxAdminController } from './scorm-sandbox-admin.controller';
import { ScormSandboxPlayerController } from './scorm-sandbox-player.controller';
import { ScormSandboxV1Controller } from './scorm-sandbox-v1.controller';
import { ScormSandboxV2Controller } from './scorm-sandbox-v2.controller';
import { ScormSandboxPostbackSender } from './scorm-sandbox.postback';
import { ScormSandboxStore } from './scorm-sandbox.store';
import { ScormV2Contract } from './scorm-v2-contract';

/** Read once per process (tests start many sandboxes): the official definition does not change meanwhile. */
let contract: ScormV2Contract | undefined;
const ScormV2ContractProvider = { provide: ScormV2Contract, useFactory: () => (contract ??= new ScormV2Contract()) };

/** Saves the state once each SCORM request has been answered (opening the player changes it too). */
@Injectable()
class PersistStateMiddleware implements NestMiddleware {
  constructor(private readonly store: ScormSandboxStore) {}

  use(_req: Request, res: Response, next: NextFunction): void {
    res.on('finish', () => this.store.persist());
    next();
  }
}

/** SCORM Cloud stand-in: v2 REST subset, v1 signed-API subset, a player page that posts results back. */
@Module({
  controllers: [
    ScormSandboxAdminController,
    ScormSandboxPlayerController,
    ScormSandboxV1Controller,
    ScormSandboxV2Controller,
  ],
  providers: [ScormSandboxPostbackSender, ScormSandboxStore, ScormV2ContractProvider],
})
export class ScormCloudSandboxModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(PersistStateMiddleware)
      .forRoutes(
        ScormSandboxAdminController,
        ScormSandboxPlayerController,
        ScormSandboxV1Controller,
        ScormSandboxV2Controller,
      );
  }
}
