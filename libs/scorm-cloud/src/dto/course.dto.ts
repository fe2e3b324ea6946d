import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

import type { ImportJob, ScormCourse } from '../transport/scorm-cloud.transport';
import { COURSE_ID_MAX_LENGTH, IsScormId } from './scorm-id.validation';

export class CourseDto {
  @ApiProperty()
  id: string;

  @ApiProperty()
  title: string;

  @ApiProperty({ nullable: true, type: Number })
  version: number | null;

  @ApiProperty({ nullable: true, type: Number })
  registration_count: number | null;

  @ApiProperty({ nullable: true, type: String, example: 'SCORM12' })
  learning_standard: string | null;

  @ApiProperty({ nullable: true, type: String })
  updated: string | null;
}

export class CourseListDto {
  @ApiProperty({ type: [CourseDto] })
  courses: CourseDto[];
}

export class ImportCourseQueryDto {
  @IsScormId('course_id', {
    description: 'Course id to import as; a UUID is generated when absent',
    maxLength: COURSE_ID_MAX_LENGTH,
    optional: true,
  })
  course_id?: string;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description:
      'true imports the zip as a new version of an existing course id; otherwise an existing id is refused with 409 ' +
      'SCORM_CLOUD_CONFLICT (v2 by SCORM Cloud, v1 by the gateway, since v1 always versions an existing id)',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  may_create_new_version?: 'true' | 'false';
}

export class ImportJobDto {
  @ApiProperty()
  job_id: string;

  @ApiProperty({ nullable: true, type: String })
  course_id: string | null;

  @ApiProperty({ enum: ['RUNNING', 'COMPLETE', 'ERROR'] })
  status: string;

  @ApiProperty({ nullable: true, type: String })
  title: string | null;

  @ApiProperty({ nullable: true, type: String })
  message: string | null;
}

export function toCourseDto(course: ScormCourse): CourseDto {
  return {
    id: course.id,
    learning_standard: course.learningStandard,
    registration_count: course.registrationCount,
    title: course.title,
    updated: course.updated ? course.updated.toISOString() : null,
    version: course.version,
  };
}

export function toImportJobDto(job: ImportJob): ImportJobDto {
  return { course_id: job.courseId, job_id: job.jobId, message: job.message, status: job.status, title: job.title };
}
