import { CursorPageQueryDto, PageLimit } from '@app/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

import { RESOURCE_UID_PATTERN } from './view-request.dto';

/** `/api/v1/contexts/{context_id}/materials`: the same rule as `context_id` in browse and view. */
export class ContextParamsDto {
  @ApiProperty({ description: 'Course or page identifier', example: 'course-21', maxLength: 128, minLength: 1 })
  @IsString()
  @Length(1, 128)
  context_id: string;
}

/** `/api/v1/contexts/{context_id}/materials/{uid}` */
export class MaterialParamsDto extends ContextParamsDto {
  @ApiProperty({
    description: 'Bazaar material uid: a UUID or a 1-128 character id without whitespace',
    example: 'finna.kansalliskirjasto:1234567',
    maxLength: 128,
    minLength: 1,
    pattern: RESOURCE_UID_PATTERN.source,
  })
  @Matches(RESOURCE_UID_PATTERN, { message: 'uid must be a UUID or a 1-128 character id without spaces' })
  uid: string;
}

/** `GET /api/v1/contexts/{context_id}/materials`: oldest first, keyset-paged. */
export class ListMaterialsQueryDto extends CursorPageQueryDto {
  // The default is the maximum: a course's whole list, as before paging, for all but the largest courses.
  @PageLimit({ default: 500, max: 500 })
  limit?: number;
}
