import { Body, Controller, Headers, HttpCode, HttpException, Inject, Post, Req } from '@nestjs/common';
import type { Request } from 'express';

import { SANDBOX_CONFIG, SandboxConfig } from '../sandbox.config';
import { BazaarArguments, browseProblem, viewProblem } from './bazaar-arguments.validator';
import { UNLICENSED_UID, findMaterial } from './bazaar-catalog';
import { BazaarLinkStore } from './bazaar-link.store';
import { BazaarSignatureVerifier } from './bazaar-signature.verifier';

/** The Bazaar spec's error body: `{success: 0, error}` with the HTTP status. */
const failure = (status: number, error: string) => new HttpException({ error, success: 0 }, status);

/** Bazaar's LMS interface (the Bazaar spec): `lms/browse` and `lms/view`. */
@Controller('bazaar/api/v1/lms')
export class BazaarApiController {
  constructor(
    @Inject(SANDBOX_CONFIG) private readonly config: SandboxConfig,
    private readonly verifier: BazaarSignatureVerifier,
    private readonly links: BazaarLinkStore,
  ) {}

  @Post('browse')
  @HttpCode(200)
  browse(
    @Req() req: Request & { rawBody?: Buffer },
    @Headers('authentication') auth: string | undefined,
    @Body() body: BazaarArguments,
  ) {
    const clientId = this.authenticate(auth, req.rawBody);
    const problem = browseProblem(body);
    if (problem) throw failure(400, problem);
    const token = this.links.create('browse', clientId, body);
    return { browse_url: `${this.config.publicUrl}/bazaar/store/${token}`, success: 1 };
  }

  @Post('view')
  @HttpCode(200)
  view(
    @Req() req: Request & { rawBody?: Buffer },
    @Headers('authentication') auth: string | undefined,
    @Body() body: BazaarArguments,
  ) {
    const clientId = this.authenticate(auth, req.rawBody);
    const problem = viewProblem(body);
    if (problem) throw failure(400, problem);
    const uid = String(body.resource_uid);
    if (uid === UNLICENSED_UID) throw failure(403, 'No license for this material');
    if (!findMaterial(uid)) throw failure(400, `Invalid parameters: unknown resource_uid ${uid}.`);
    const token = this.links.create('view', clientId, body);
    return { success: 1, view_url: `${this.config.publicUrl}/bazaar/view/${token}` };
  }

  private authenticate(header: string | undefined, rawBody: Buffer | undefined): string {
    const clientId = this.verifier.verify(header, rawBody);
    if (!clientId) throw failure(401, 'Invalid API key.');
    return clientId;
  }
}
