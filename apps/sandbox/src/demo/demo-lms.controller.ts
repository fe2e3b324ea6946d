import { Controller, Get, Header, Inject, NotFoundException, Param, Query } from '@nestjs/common';

import { SANDBOX_CONFIG, SandboxConfig } from '../sandbox.config';
import { DEMO_COURSES, DEMO_USERS, findDemoUser } from './demo-catalog';
import { DemoAssetStore } from './demo-asset.store';
import { DemoScormCatalog } from './demo-scorm.catalog';
import { DemoTokenSigner } from './demo-token.signer';

/**
 * A stand-in LMS page: it calls only the gateway's public REST API from the browser, with a user token the
 * "LMS" (this server) mints, as a real LMS UI would.
 */
@Controller('demo')
export class DemoLmsController {
  constructor(
    @Inject(SANDBOX_CONFIG) private readonly config: SandboxConfig,
    private readonly assets: DemoAssetStore,
    private readonly scorm: DemoScormCatalog,
    private readonly signer: DemoTokenSigner,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  page(): string {
    return this.assets.read('demo-lms.html');
  }

  @Get('assets/:file')
  asset(@Param('file') file: string) {
    return this.assets.response(file);
  }

  @Get('config')
  @Header('Cache-Control', 'no-store')
  async settings() {
    const scorm = await this.scorm.courses();
    return {
      courses: DEMO_COURSES,
      gateway_url: this.config.gatewayUrl,
      sandbox_url: this.config.publicUrl,
      scorm_courses: scorm.courses,
      scorm_error: scorm.error ?? null,
      users: DEMO_USERS,
    };
  }

  @Get('token')
  @Header('Cache-Control', 'no-store')
  token(@Query('user') key: string | undefined) {
    const user = findDemoUser(key);
    if (!user)
      throw new NotFoundException(`No demo user "${key ?? ''}"; try ${DEMO_USERS.map((u) => u.key).join(', ')}`);
    return { ...this.signer.sign(user), user };
  }
}
