import { Module } from '@nestjs/common';

import { BazaarApiController } from './bazaar-api.controller';
import { BazaarLinkStore } from './bazaar-link.store';
import { BazaarPagesController } from './bazaar-pages.controller';
import { BazaarSignatureVerifier } from './bazaar-signature.verifier';

/** Plays Bazaar (the Bazaar spec) for `npm start` and the e2e tests: the LMS interface, the store and the CMS. */
@Module({
  controllers: [BazaarApiController, BazaarPagesController],
  providers: [BazaarLinkStore, BazaarSignatureVerifier],
})
export class BazaarSandboxModule {}
