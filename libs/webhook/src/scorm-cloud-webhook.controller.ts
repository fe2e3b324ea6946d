import { Public } from '@app/auth';
import { ReadsOwnBody } from '@app/common';
import { Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBasicAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
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

const TOKEN_QUERY = {
  description: 'Per-registration postback token (on every postback URL the gateway creates)',
  name: 'token',
  required: false,
  type: String,
};

@ApiTags('webhooks')
@ApiBasicAuth('webhook')
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
  @ApiQuery(TOKEN_QUERY)
  @ApiOkResponse({ type: PostbackAcceptedDto })
  receive(@Req() req: Request): Promise<PostbackAcceptedDto> {
    return this.receiver.accept(toPostbackRequest(req));
  }

  @Get(ROUTES)
  @ApiOperation({ description: DESCRIPTION, summary: "Receive a postback in the webhook guide's GET query form" })
  @ApiQuery(TOKEN_QUERY)
  @ApiQuery({
    description: 'The registration; required, here or as `regid`',
    name: 'registration_id',
    required: false,
    type: String,
  })
  @ApiQuery({ enum: ['COMPLETED', 'INCOMPLETE', 'UNKNOWN'], name: 'completion', required: false })
  @ApiQuery({ enum: ['PASSED', 'FAILED', 'UNKNOWN'], name: 'success', required: false })
  @ApiQuery({ maximum: 100, minimum: 0, name: 'score', required: false, type: Number })
  @ApiQuery({ minimum: 0, name: 'total_seconds', required: false, type: Number })
  @ApiQuery({ description: 'ISO 8601', name: 'updated', required: false, type: String })
  @ApiQuery({ minimum: 0, name: 'instance', required: false, type: 'integer' })
  @ApiQuery({ description: 'Webhook user name (or HTTP Basic)', name: 'username', required: false, type: String })
  @ApiQuery({ description: 'Webhook password (or HTTP Basic)', name: 'password', required: false, type: String })
  @ApiOkResponse({ type: PostbackAcceptedDto })
  receiveQuery(@Req() req: Request): Promise<PostbackAcceptedDto> {
    return this.receiver.accept(toPostbackRequest(req));
  }
}
