import { Caller, CurrentCaller, Roles, assertMayActInContext, describeCaller } from '@app/auth';
import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';

import { ContextParamsDto, ListMaterialsQueryDto, MaterialParamsDto } from './dto/material-params.dto';
import { MaterialListDto } from './dto/material.dto';
import { MaterialsService } from './materials.service';

@ApiTags('bazaar')
@ApiBearerAuth()
@Controller('api/v1/contexts/:context_id/materials')
export class MaterialsController {
  constructor(private readonly materials: MaterialsService) {}

  @Get()
  @ApiOperation({
    description: "A student's or teacher's token must list the course in its contexts (403 CONTEXT_NOT_IN_TOKEN)",
    summary: 'Bazaar materials stored in a course, oldest first (keyset-paged: limit, cursor)',
  })
  @ApiOkResponse({ type: MaterialListDto })
  @ApiForbiddenResponse({ description: 'CONTEXT_NOT_IN_TOKEN' })
  list(
    @CurrentCaller() caller: Caller,
    @Param() { context_id: contextId }: ContextParamsDto,
    @Query() query: ListMaterialsQueryDto,
  ): Promise<MaterialListDto> {
    assertMayActInContext(caller, contextId);
    return this.materials.list(contextId, query.limit ?? 500, query.cursor);
  }

  @Delete(':uid')
  @HttpCode(204)
  @Roles('teacher', 'admin')
  @ApiOperation({
    description: "A teacher's token must list the course in its contexts (403 CONTEXT_NOT_IN_TOKEN)",
    summary: 'Remove a Bazaar material from a course',
  })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiForbiddenResponse({ description: 'ROLE_FORBIDDEN, CONTEXT_NOT_IN_TOKEN' })
  remove(@CurrentCaller() caller: Caller, @Param() { context_id: contextId, uid }: MaterialParamsDto): Promise<void> {
    assertMayActInContext(caller, contextId);
    const userId = caller.kind === 'user' ? caller.userId : undefined;
    return this.materials.remove(contextId, uid, describeCaller(caller).slice(0, 255), userId);
  }
}
