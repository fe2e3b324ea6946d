import { Module } from '@nestjs/common';

import { DemoAssetStore } from './demo-asset.store';
import { DemoLmsController } from './demo-lms.controller';
import { DemoScormCatalog } from './demo-scorm.catalog';
import { DemoTokenSigner } from './demo-token.signer';

@Module({
  controllers: [DemoLmsController],
  providers: [DemoAssetStore, DemoScormCatalog, DemoTokenSigner],
})
export class DemoLmsModule {}
