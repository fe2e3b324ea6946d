import { CursorPageDto } from '@app/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class MaterialImageDto {
  @ApiProperty({ example: 'https://bazaar.gov/img/thumb.jpg' })
  url: string;

  @ApiPropertyOptional({ example: 150 })
  width?: number;

  @ApiPropertyOptional({ example: 150 })
  height?: number;
}

export class MaterialImagesDto {
  @ApiPropertyOptional({ type: MaterialImageDto })
  thumbnail?: MaterialImageDto;

  @ApiPropertyOptional({ type: MaterialImageDto })
  standard_resolution?: MaterialImageDto;

  @ApiPropertyOptional({ type: MaterialImageDto })
  low_resolution?: MaterialImageDto;
}

export class MaterialDto {
  @ApiProperty({
    description: 'Bazaar resource id (UUID or record id)',
    example: 'dc38da67-bb73-4062-8c67-a6e76e6c8f69',
  })
  uid: string;

  @ApiProperty({ example: 'Bazaar Example' })
  name: string;

  @ApiPropertyOptional({ nullable: true, type: String })
  description: string | null;

  @ApiPropertyOptional({ nullable: true, type: MaterialImagesDto })
  images: MaterialImagesDto | null;

  @ApiProperty({
    description: "The LMS user whose browse session added it; empty once that user's data was erased",
    example: 'u-1001',
  })
  added_by: string;

  @ApiProperty({ format: 'date-time' })
  added_at: string;

  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

export class MaterialListDto extends CursorPageDto {
  @ApiProperty({ example: 'course-21' })
  context_id: string;

  @ApiProperty({ description: 'Oldest first', type: [MaterialDto] })
  materials: MaterialDto[];
}
