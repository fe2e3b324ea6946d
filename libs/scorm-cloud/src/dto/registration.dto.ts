import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

import type { RegistrationProgressEntity } from '../entities/registration-progress.entity';
import type { RegistrationRequest } from '../registrations/registration-access.policy';
import type { RegistrationView } from '../registrations/registrations.service';
import { COURSE_ID_MAX_LENGTH, IsScormId, REGISTRATION_ID_MAX_LENGTH } from './scorm-id.validation';

export class CreateRegistrationDto {
  @IsScormId('course_id', {
    description: 'SCORM Cloud course id',
    example: 'safety-101',
    maxLength: COURSE_ID_MAX_LENGTH,
  })
  course_id: string;

  @ApiPropertyOptional({
    example: 'learner-9',
    description:
      'LMS user id of the learner (a student may register only themself). Required with an API key; with a user ' +
      "token, left out means the token's user",
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  learner_id?: string;

  @ApiPropertyOptional({
    example: 'Aino',
    description:
      "Required with an API key. When the learner is the token's user and the token carries given_name, it is " +
      'filled from the token when left out, and any other value is refused (403 FIRST_NAME_MISMATCH)',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  learner_first_name?: string;

  @ApiPropertyOptional({
    example: 'Virtanen',
    description:
      "Required with an API key. When the learner is the token's user and the token carries family_name, it is " +
      'filled from the token when left out, and any other value is refused (403 LAST_NAME_MISMATCH)',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  learner_last_name?: string;

  @ApiPropertyOptional({
    example: 'course-7',
    description:
      "LMS course (context) the registration belongs to. Required with a student's or teacher's scoped token, and " +
      "then one of the token's contexts (403 CONTEXT_NOT_IN_TOKEN); teachers reach registrations through it",
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  context_id?: string;

  @IsScormId('registration_id', {
    description: 'Registration id to use; a UUID is generated when absent',
    maxLength: REGISTRATION_ID_MAX_LENGTH,
    optional: true,
  })
  registration_id?: string;
}

export class RegistrationQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Re-read the progress from SCORM Cloud first' })
  @IsOptional()
  @IsIn(['true', 'false'])
  refresh?: 'true' | 'false';
}

export class LaunchRegistrationDto {
  @ApiPropertyOptional({
    example: 'https://lms.example.edu/courses/7',
    description: 'Where the player returns when the learner exits; its origin must be in ALLOWED_RETURN_ORIGINS',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  redirect_url?: string;
}

export class LaunchLinkDto {
  @ApiProperty({ description: 'Open this in the browser to play the course' })
  launch_url: string;

  @ApiProperty({ example: '2026-11-23T10:05:00.000Z' })
  expires_at: string;
}

export class ProgressDto {
  @ApiProperty({ example: 0 })
  instance: number;

  @ApiProperty({ enum: ['COMPLETED', 'INCOMPLETE', 'UNKNOWN'] })
  completion: string;

  @ApiProperty({ enum: ['PASSED', 'FAILED', 'UNKNOWN'] })
  success: string;

  @ApiProperty({ nullable: true, type: Number, description: 'Scaled 0-100' })
  score: number | null;

  @ApiProperty({ nullable: true, type: Number })
  total_seconds: number | null;

  @ApiProperty({ nullable: true, type: String })
  first_access_date: string | null;

  @ApiProperty({ nullable: true, type: String })
  last_access_date: string | null;

  @ApiProperty({ nullable: true, type: String })
  completed_date: string | null;

  @ApiProperty({ nullable: true, type: String, description: "SCORM Cloud's own update time of this progress" })
  updated: string | null;

  @ApiProperty({ enum: ['postback', 'api'] })
  source: string;
}

export class RegistrationDto {
  @ApiProperty()
  id: string;

  @ApiProperty()
  course_id: string;

  @ApiProperty()
  learner_id: string;

  @ApiProperty()
  learner_first_name: string;

  @ApiProperty()
  learner_last_name: string;

  @ApiProperty({ nullable: true, type: String })
  context_id: string | null;

  @ApiProperty()
  created_by: string;

  @ApiProperty({ nullable: true, type: String })
  launched_at: string | null;

  @ApiProperty({ nullable: true, type: String })
  last_postback_at: string | null;

  @ApiProperty({ nullable: true, type: String })
  last_synced_at: string | null;

  @ApiProperty({ enum: ['postback', 'api'], nullable: true, type: String })
  progress_source: string | null;

  @ApiProperty()
  created_at: string;

  @ApiProperty({
    description:
      'deleted_upstream: SCORM Cloud no longer has it (found by a launch, refresh, reset or reconciliation); its ' +
      'last progress is kept here, and the learner enrols again under a new registration',
    enum: ['active', 'deleted_upstream'],
  })
  status: 'active' | 'deleted_upstream';

  @ApiProperty({ nullable: true, type: String })
  deleted_upstream_at: string | null;

  @ApiProperty({ type: ProgressDto, nullable: true, description: 'Progress of the latest instance' })
  progress: ProgressDto | null;

  @ApiProperty({ type: [ProgressDto], description: 'Progress of every known instance' })
  instances: ProgressDto[];
}

export class LearnerProgressDto {
  @ApiProperty()
  learner_id: string;

  @ApiProperty({ type: [RegistrationDto] })
  registrations: RegistrationDto[];
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** The service's input from the REST body (snake_case to the domain's names). */
export function toRegistrationRequest(body: CreateRegistrationDto): RegistrationRequest {
  return {
    contextId: body.context_id,
    courseId: body.course_id,
    learnerFirstName: body.learner_first_name,
    learnerId: body.learner_id,
    learnerLastName: body.learner_last_name,
    registrationId: body.registration_id,
  };
}

function toProgressDto(row: RegistrationProgressEntity): ProgressDto {
  return {
    completed_date: iso(row.completedAt),
    completion: row.completion,
    first_access_date: iso(row.firstAccessAt),
    instance: row.instance,
    last_access_date: iso(row.lastAccessAt),
    score: row.score,
    source: row.source,
    success: row.success,
    total_seconds: row.totalSeconds,
    updated: iso(row.progressUpdatedAt),
  };
}

export function toRegistrationDto({ progress, registration: r }: RegistrationView): RegistrationDto {
  const instances = [...progress].sort((a, b) => a.instance - b.instance).map(toProgressDto);
  return {
    context_id: r.contextId,
    course_id: r.courseId,
    created_at: r.createdAt.toISOString(),
    created_by: r.createdBy,
    deleted_upstream_at: iso(r.deletedUpstreamAt),
    id: r.id,
    instances,
    last_postback_at: iso(r.lastPostbackAt),
    last_synced_at: iso(r.lastSyncedAt),
    launched_at: iso(r.launchedAt),
    learner_first_name: r.learnerFirstName,
    learner_id: r.learnerId,
    learner_last_name: r.learnerLastName,
    progress: instances.at(-1) ?? null,
    progress_source: r.progressSource,
    status: r.deletedUpstreamAt ? 'deleted_upstream' : 'active',
  };
}

export function toLearnerProgressDto(learnerId: string, views: RegistrationView[]): LearnerProgressDto {
  return { learner_id: learnerId, registrations: views.map(toRegistrationDto) };
}
