import { ApiProperty } from '@nestjs/swagger';

/** The 200 a postback gets once it is committed (a duplicate too: SCORM Cloud must stop retrying it). */
export class PostbackAcceptedDto {
  @ApiProperty({ example: 'success' })
  status: 'success';

  @ApiProperty({ example: 'reg-123' })
  registration_id: string;

  @ApiProperty({ description: 'Already stored earlier (same registration, instance and update time, or same body)' })
  duplicate: boolean;

  @ApiProperty({
    description: 'What this delivery did to progress; a duplicate is `stale`: it is never applied again',
    enum: ['applied', 'stale', 'unknown_registration'],
  })
  outcome: string;
}
