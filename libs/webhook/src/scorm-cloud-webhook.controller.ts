import { Public } from '@app/auth';
import { ReadsOwnBody } from '@app/common';
import { Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiBasicAuth,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';

import { PostbackAcceptedDto } from './dto/postback-accepted.dto';
import { toPostbackRequest } from './postback-request.mapper';
import { POSTBACK_ROUTES } from './postback.routes';
import { WebhookReceiverService } from './webhook-receiver.service';

const ROUTES = [...POSTBACK_ROUTES];
const DESCRIPTION =
  'SCORM Cloud result postbacks in any of its shapes: v2 JSON with HTTP Basic; v2 form (data, userName, ' +
  'password); v1 form (data = <registrationreport> XML, username, password); v1 XML body with HTTP Basic; and ' +
  "the webhook guide's GET query form. Webhook credentials are always required; a `token` query parameter (put on " +
  'every postback URL the gateway creates) must name the registration in the payload. The answer is sent ' +
  'only after the postback is committed; duplicates answer 200 too. Never a redirect: SCORM Cloud counts a ' +
  '3xx as delivered.';

@ApiTags('webhooks')
@ApiBasicAuth('webhook')
@ApiSecurity('webhook')
@Public()
@ReadsOwnBody()
@Controller()
export class ScormCloudWebhookController {
  constructor(private readonly receiver: WebhookReceiverService) {}

  @Post(ROUTES)
  @HttpCode(200)
  @ApiOperation({ description: DESCRIPTION, summary: 'Receive a SCORM Cloud results postback' })
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded', 'text/xml', 'application/xml', 'text/plain')
  @ApiBody({ description: 'v2 RegistrationSchema JSON, a form with field data, or a v1 registration report' })
  @ApiQuery({ description: 'Per-registration postback token', name: 'token', required: false })
  @ApiOkResponse({ type: PostbackAcceptedDto })
  receive(@Req() req: Request): Promise<PostbackAcceptedDto> {
    return this.receiver.accept(toPostbackRequest(req));
  }

  @Get(ROUTES)
  @ApiOperation({ description: DESCRIPTION, summary: "Receive a postback in the webhook guide's GET query form" })
  @ApiQuery({
    description:
      'registration_id (or regid), completion, success, score, total_seconds, updated, ' +
      'instance, username, password',
    name: 'fields',
    required: false,
  })
  @ApiOkResponse({ type: PostbackAcceptedDto })
  receiveQuery(@Req() req: Request): Promise<PostbackAcceptedDto> {
    return this.receiver.accept(toPostbackRequest(req));
  }
}
