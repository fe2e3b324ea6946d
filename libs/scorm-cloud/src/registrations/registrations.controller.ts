import { Caller, CurrentCaller, Roles } from '@app/auth';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';

import {
  CreateRegistrationDto,
  LaunchLinkDto,
  LaunchRegistrationDto,
  LearnerProgressDto,
  RegistrationDto,
  RegistrationQueryDto,
  toRegistrationRequest,
  toLearnerProgressDto,
  toRegistrationDto,
} from '../dto/registration.dto';
import { LearnerParamsDto, RegistrationParamsDto } from '../dto/scorm-params.dto';
import { RegistrationsService } from './registrations.service';

const FORBIDDEN =
  "REGISTRATION_FORBIDDEN: a teacher's token does not list the registration's course in its contexts, or a student " +
  'asks for a registration not their own';

@ApiTags('scorm-cloud')
@ApiBearerAuth()
@Controller('api/v1/scorm')
export class RegistrationsController {
  constructor(private readonly registrations: RegistrationsService) {}

  @Post('registrations')
  @ApiOperation({
    description:
      "With a user token: a teacher registers learners only in the token's contexts, a student only themself in one " +
      "of them (context_id required, 403 CONTEXT_NOT_IN_TOKEN otherwise); the learner's names are the token's " +
      'when the learner is the caller.',
    summary: 'Register a learner for a course (teacher, admin, or a student for themself); postback wired to us',
  })
  @ApiCreatedResponse({ type: RegistrationDto })
  @ApiForbiddenResponse({
    description:
      'REGISTRATION_FORBIDDEN (a student registering someone else), or a field other than the token says: ' +
      'CONTEXT_NOT_IN_TOKEN, USER_MISMATCH, FIRST_NAME_MISMATCH, LAST_NAME_MISMATCH',
  })
  async create(@CurrentCaller() caller: Caller, @Body() body: CreateRegistrationDto): Promise<RegistrationDto> {
    return toRegistrationDto(await this.registrations.create(caller, toRegistrationRequest(body)));
  }

  @Get('registrations/:id')
  @ApiOperation({ summary: 'Stored registration and progress; ?refresh=true re-reads SCORM Cloud first' })
  @ApiOkResponse({ type: RegistrationDto })
  @ApiForbiddenResponse({ description: FORBIDDEN })
  async get(
    @CurrentCaller() caller: Caller,
    @Param() { id }: RegistrationParamsDto,
    @Query() query: RegistrationQueryDto,
  ): Promise<RegistrationDto> {
    return toRegistrationDto(await this.registrations.get(caller, id, query.refresh === 'true'));
  }

  @Delete('registrations/:id')
  @HttpCode(204)
  @Roles('teacher', 'admin')
  @ApiOperation({ summary: 'Delete the registration on SCORM Cloud and here' })
  @ApiNoContentResponse()
  @ApiForbiddenResponse({ description: FORBIDDEN })
  async remove(@CurrentCaller() caller: Caller, @Param() { id }: RegistrationParamsDto): Promise<void> {
    await this.registrations.delete(caller, id);
  }

  @Post('registrations/:id/reset')
  @HttpCode(200)
  @Roles('teacher', 'admin')
  @ApiOperation({ summary: "Reset the registration's progress on SCORM Cloud, then re-read it" })
  @ApiOkResponse({ type: RegistrationDto })
  @ApiForbiddenResponse({ description: FORBIDDEN })
  async reset(@CurrentCaller() caller: Caller, @Param() { id }: RegistrationParamsDto): Promise<RegistrationDto> {
    return toRegistrationDto(await this.registrations.reset(caller, id));
  }

  @Post('registrations/:id/launch')
  @HttpCode(200)
  @ApiOperation({ summary: 'A fresh launch URL for the registered learner (or an API key)' })
  @ApiOkResponse({ type: LaunchLinkDto })
  @ApiForbiddenResponse({ description: 'REGISTRATION_FORBIDDEN: not the registered learner' })
  async launch(
    @CurrentCaller() caller: Caller,
    @Param() { id }: RegistrationParamsDto,
    @Body() body: LaunchRegistrationDto,
  ): Promise<LaunchLinkDto> {
    const link = await this.registrations.launch(caller, id, body.redirect_url);
    return { expires_at: link.expiresAt.toISOString(), launch_url: link.url };
  }

  @Get('learners/:learner_id/progress')
  @ApiOperation({
    description:
      "A student reads only their own (403 REGISTRATION_FORBIDDEN); a teacher's list holds only the registrations " +
      "in the token's contexts (filtered, never refused).",
    summary: "A learner's registrations and progress (the learner, teachers, admins)",
  })
  @ApiOkResponse({ type: LearnerProgressDto })
  @ApiForbiddenResponse({ description: 'REGISTRATION_FORBIDDEN: a student asking for another learner' })
  async learnerProgress(
    @CurrentCaller() caller: Caller,
    @Param() { learner_id: learnerId }: LearnerParamsDto,
  ): Promise<LearnerProgressDto> {
    return toLearnerProgressDto(learnerId, await this.registrations.learnerProgress(caller, learnerId));
  }
}
