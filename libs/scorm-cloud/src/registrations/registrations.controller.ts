import { Caller, CurrentCaller, Roles } from '@app/auth';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';

import { ScormCloudService } from '../scorm-cloud.service';
import {
  CreateRegistrationDto,
  LaunchLinkDto,
  LaunchRegistrationDto,
  LearnerProgressDto,
  RegistrationDto,
  RegistrationQueryDto,
  toCreateRegistrationInput,
  toLearnerProgressDto,
  toRegistrationDto,
} from './registration.dto';

@ApiTags('scorm-cloud')
@ApiBearerAuth()
@Controller('api/v1/scorm')
export class RegistrationsController {
  constructor(private readonly scorm: ScormCloudService) {}

  @Post('registrations')
  @ApiOperation({
    summary: 'Register a learner for a course (teacher, admin, or a student for themself); postback wired to us',
  })
  @ApiCreatedResponse({ type: RegistrationDto })
  async create(@CurrentCaller() caller: Caller, @Body() body: CreateRegistrationDto): Promise<RegistrationDto> {
    return toRegistrationDto(await this.scorm.createRegistration(caller, toCreateRegistrationInput(body)));
  }

  @Get('registrations/:id')
  @ApiOperation({ summary: 'Stored registration and progress; ?refresh=true re-reads SCORM Cloud first' })
  @ApiOkResponse({ type: RegistrationDto })
  async get(
    @CurrentCaller() caller: Caller,
    @Param('id') id: string,
    @Query() query: RegistrationQueryDto,
  ): Promise<RegistrationDto> {
    return toRegistrationDto(await this.scorm.getRegistration(caller, id, query.refresh === 'true'));
  }

  @Delete('registrations/:id')
  @HttpCode(204)
  @Roles('teacher', 'admin')
  @ApiOperation({ summary: 'Delete the registration on SCORM Cloud and here' })
  @ApiNoContentResponse()
  async remove(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<void> {
    await this.scorm.deleteRegistration(caller, id);
  }

  @Post('registrations/:id/reset')
  @HttpCode(200)
  @Roles('teacher', 'admin')
  @ApiOperation({ summary: "Reset the registration's progress on SCORM Cloud, then re-read it" })
  @ApiOkResponse({ type: RegistrationDto })
  async reset(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<RegistrationDto> {
    await this.scorm.resetRegistration(caller, id);
    return toRegistrationDto(await this.scorm.getRegistration(caller, id));
  }

  @Post('registrations/:id/launch')
  @HttpCode(200)
  @ApiOperation({ summary: 'A fresh launch URL for the registered learner (or an API key)' })
  @ApiOkResponse({ type: LaunchLinkDto })
  async launch(
    @CurrentCaller() caller: Caller,
    @Param('id') id: string,
    @Body() body: LaunchRegistrationDto,
  ): Promise<LaunchLinkDto> {
    const link = await this.scorm.launch(caller, id, body.redirect_url);
    return { expires_at: link.expiresAt.toISOString(), launch_url: link.url };
  }

  @Get('learners/:learner_id/progress')
  @ApiOperation({ summary: "A learner's registrations and progress (the learner, teachers, admins)" })
  @ApiOkResponse({ type: LearnerProgressDto })
  async learnerProgress(
    @CurrentCaller() caller: Caller,
    @Param('learner_id') learnerId: string,
  ): Promise<LearnerProgressDto> {
    return toLearnerProgressDto(learnerId, await this.scorm.learnerProgress(caller, learnerId));
  }
}
