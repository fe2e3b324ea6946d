import { Public } from '@app/auth';
import { Body, Controller, Get, Post, Query, Redirect } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';

import { BazaarCallbackService } from './bazaar-callback.service';

const STATE_QUERY = {
  description:
    'The single-use state the gateway put in the callback URL; a missing one answers 400 BAZAAR_STATE_MISSING',
  name: 'state',
  required: false,
  type: String,
};
const SEE_OTHER = {
  description: 'To return_url with bazaar_status (and count or bazaar_error) in its query',
  status: 303,
};

/** Posted by the user's browser from the Bazaar store page: no bearer token, the state authenticates it. */
@ApiTags('bazaar')
@Public()
@Controller('api/v1/bazaar/callbacks')
export class BazaarCallbackController {
  constructor(private readonly callbacks: BazaarCallbackService) {}

  @Post('add')
  @Redirect(undefined, 303)
  @ApiOperation({
    description:
      "Bazaar's add_resource_callback_url. Form field `params`: base64 JSON (the Bazaar spec) or raw JSON, one " +
      'material or an array. An unknown, expired or reused state answers 400 and stores nothing.',
    summary: 'Bazaar store callback: add the picked material(s) to the course',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ schema: { properties: { params: { type: 'string' } }, type: 'object' } })
  @ApiQuery(STATE_QUERY)
  @ApiResponse(SEE_OTHER)
  async add(@Query('state') state: string | undefined, @Body() body: Record<string, unknown>) {
    return { statusCode: 303, url: await this.callbacks.add(state, body) };
  }

  @Get('cancel')
  @Redirect(undefined, 303)
  @ApiOperation({ summary: "Bazaar's cancel_url: consume the state and return to the LMS" })
  @ApiQuery(STATE_QUERY)
  @ApiResponse(SEE_OTHER)
  async cancel(@Query('state') state: string | undefined) {
    return { statusCode: 303, url: await this.callbacks.cancel(state) };
  }
}
