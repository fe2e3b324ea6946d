import { Caller, CurrentCaller, Roles, TOKEN_BINDING_FORBIDDEN } from '@app/auth';
import { Body, Controller, Header, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { BazaarService } from './bazaar.service';
import { BrowseRequestDto, BrowseResponseDto } from './dto/browse-request.dto';
import { ViewRequestDto, ViewResponseDto } from './dto/view-request.dto';

@ApiTags('bazaar')
@ApiBearerAuth()
@Controller('api/v1/bazaar')
export class BazaarController {
  constructor(private readonly bazaar: BazaarService) {}

  @Post('browse')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Roles('teacher', 'admin')
  @ApiOperation({
    description:
      'Calls Bazaar lms/browse with callback URLs bound to a fresh single-use state (1 h) and answers the ' +
      'one-time store URL (60 s). Bazaar then posts the picked material to the gateway, which stores it in ' +
      "the course and sends the browser to return_url. A teacher's token must list the course in its contexts; " +
      "the user, school, city, names and email Bazaar receives are the token's.",
    summary: 'Start browsing the Bazaar store for a course',
  })
  @ApiOkResponse({ type: BrowseResponseDto })
  @ApiForbiddenResponse({ description: TOKEN_BINDING_FORBIDDEN })
  browse(@CurrentCaller() caller: Caller, @Body() dto: BrowseRequestDto): Promise<BrowseResponseDto> {
    return this.bazaar.browse(caller, dto);
  }

  @Post('view')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    description:
      'The material must be stored in the course (else 404). Every call is a fresh Bazaar lms/view request; ' +
      "Bazaar's licensing refusal answers 403 with Bazaar's text. Each view is logged (who, what, when). A user " +
      'token must list the course in its contexts; the user, school, city, names and email Bazaar receives are ' +
      "the token's.",
    summary: 'Get a one-time URL to open a course material',
  })
  @ApiOkResponse({ type: ViewResponseDto })
  @ApiForbiddenResponse({ description: `${TOKEN_BINDING_FORBIDDEN}; BAZAAR_ACCESS_DENIED (Bazaar's licensing)` })
  view(@CurrentCaller() caller: Caller, @Body() dto: ViewRequestDto): Promise<ViewResponseDto> {
    return this.bazaar.view(caller, dto);
  }
}
