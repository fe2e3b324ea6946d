import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

import { COURSE_ID_MAX_LENGTH, IsScormId, REGISTRATION_ID_MAX_LENGTH } from './scorm-id.validation';

/** `/api/v1/scorm/registrations/{id}…` */
export class RegistrationParamsDto {
  @IsScormId('id', { example: 'reg-123', maxLength: REGISTRATION_ID_MAX_LENGTH })
  id: string;
}

/** `/api/v1/scorm/courses/{id}` */
export class CourseParamsDto {
  @IsScormId('id', { example: 'safety-101', maxLength: COURSE_ID_MAX_LENGTH })
  id: string;
}

/** `/api/v1/scorm/courses/import-jobs/{job_id}` */
export class ImportJobParamsDto {
  @IsScormId('job_id', { description: 'As SCORM Cloud returned it', maxLength: COURSE_ID_MAX_LENGTH })
  job_id: string;
}

/** `/api/v1/scorm/learners/{learner_id}/…`: the LMS's own user id. */
export class LearnerParamsDto {
  @ApiProperty({ example: 'learner-9', maxLength: 255, minLength: 1 })
  @IsString()
  @Length(1, 255)
  learner_id: string;
}
