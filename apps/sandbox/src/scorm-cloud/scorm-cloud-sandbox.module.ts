import { Module } from '@nestjs/common';

import { ScormSandboxAdminController } from './scorm-sandbox-admin.controller';
import { ScormSandboxPlayerController } from './scorm-sandbox-player.controller';
import { ScormSandboxV1Controller } from './scorm-sandbox-v1.controller';
import { ScormSandboxV2Controller } from './scorm-sandbox-v2.controller';
import { ScormSandboxPostbackSender } from './scorm-sandbox.postback';
import { ScormSandboxStore } from './scorm-sandbox.store';

/** SCORM Cloud stand-in: v2 REST subset, v1 signed-API subset, a player page that posts results back. */
@Module({
  controllers: [
    ScormSandboxAdminController,
    ScormSandboxPlayerController,
    ScormSandboxV1Controller,
    ScormSandboxV2Controller,
  ],
  providers: [ScormSandboxPostbackSender, ScormSandboxStore],
})
export class ScormCloudSandboxModule {}
