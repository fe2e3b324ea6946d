import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class UpstreamLearnerErasureDto {
  @ApiProperty({ enum: ['v1', 'v2'] })
  api: 'v1' | 'v2';

  @ApiProperty({ example: 'DELETE /registrations/{registrationId}, POST /learner/{learnerId}/delete-information' })
  request: string;

  @ApiProperty({
    description:
      'accepted: v2 deleted the registrations and erases the rest of the PII in the background; deleted: v1 deleted ' +
      'the registrations',
    enum: ['accepted', 'deleted'],
  })
  status: 'accepted' | 'deleted';

  @ApiPropertyOptional({ description: "The learner's registrations deleted on SCORM Cloud" })
  registrations_deleted?: number;

  @ApiPropertyOptional({ description: "The learner's registrations SCORM Cloud no longer had (404, already deleted)" })
  registrations_already_gone?: number;
}

/** What a learner data deletion erased, here and on SCORM Cloud. */
export class LearnerDeletionReceiptDto {
  @ApiProperty({ example: 'del_0b4c2a9e-6f1d-4f7e-9a57-3c1e2d4b5a6f' })
  receipt_id: string;

  @ApiProperty({ example: 'learner-9' })
  learner_id: string;

  @ApiProperty({ format: 'date-time' })
  deleted_at: string;

  @ApiProperty({
    description: 'Rows erased here, by kind (registrations with the learner names, progress, postbacks, ...)',
    example: { postbacks: 12, progress: 2, registrations: 2 },
    type: 'object',
    additionalProperties: { type: 'integer' },
  })
  erased: Record<string, number>;

  @ApiProperty({ type: UpstreamLearnerErasureDto })
  scorm_cloud: UpstreamLearnerErasureDto;

  @ApiProperty({ description: 'True when this answer repeats the receipt of an earlier deletion (nothing was left)' })
  repeated: boolean;
}
