import { DynamicModule, Module } from '@nestjs/common';

import { BazaarSandboxModule } from './bazaar/bazaar-sandbox.module';
import { DemoLmsModule } from './demo/demo-lms.module';
import { FaultsModule } from './faults/faults.module';
import { LmsBackendModule } from './lms-backend/lms-backend.module';
import { RequestsModule } from './requests/requests.module';
import { SANDBOX_CONFIG, SandboxConfig } from './sandbox.config';
import { ScormCloudSandboxModule } from './scorm-cloud/scorm-cloud-sandbox.module';
import { SandboxHomeController } from './sandbox-home.controller';

@Module({})
export class SandboxModule {
  static forRoot(config: SandboxConfig): DynamicModule {
    return {
      controllers: [SandboxHomeController],
      exports: [SANDBOX_CONFIG],
      global: true,
      // RequestsModule first: its middleware counts each request before a fault may answer it.
      imports: [
        RequestsModule,
        BazaarSandboxModule,
        DemoLmsModule,
        FaultsModule,
        LmsBackendModule,
        ScormCloudSandboxModule,
      ],
      module: SandboxModule,
      providers: [{ provide: SANDBOX_CONFIG, useValue: config }],
    };
  }
}
