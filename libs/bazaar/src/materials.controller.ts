import { Roles } from '@app/auth';
import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ContextParamsDto, MaterialParamsDto } from './dto/material-params.dto';
import { MaterialListDto } from './dto/material.dto';
import { MaterialsService } from './materials.service';

@ApiTags('bazaar')
@ApiBearerAuth()
@Controller('api/v1/contexts/:context_id/materials')
export class MaterialsController {
  constructor(private readonly materials: MaterialsService) {}

  @Get()
  @ApiOperation({ summary: 'Bazaar materials stored in a course' })
  @ApiOkResponse({ type: MaterialListDto })
  list(@Param() { context_id: contextId }: ContextParamsDto): Promise<MaterialListDto> {
    return this.materials.list(contextId);
  }

  @Delete(':uid')
  @HttpCode(204)
  @Roles('teacher', 'admin')
  @ApiOperation({ summary: 'Remove a Bazaar material from a course' })
  @ApiNoContentResponse({ description: 'Removed' })
  remove(@Param() { context_id: contextId, uid }: MaterialParamsDto): Promise<void> {
    return this.materials.remove(contextId, uid);
  }
}
