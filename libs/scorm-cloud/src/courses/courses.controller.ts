import { Roles } from '@app/auth';
import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';

import { CourseUploadService } from './course-upload.service';
import { CourseListDto, ImportCourseQueryDto, ImportJobDto, toCourseDto, toImportJobDto } from '../dto/course.dto';
import { CourseParamsDto, ImportJobParamsDto } from '../dto/scorm-params.dto';
import { CoursesService } from './courses.service';

@ApiTags('scorm-cloud')
@ApiBearerAuth()
@Roles('admin')
@Controller('api/v1/scorm/courses')
export class CoursesController {
  constructor(
    private readonly courses: CoursesService,
    private readonly uploads: CourseUploadService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Courses on SCORM Cloud (admin)' })
  @ApiOkResponse({ type: CourseListDto })
  async list(): Promise<CourseListDto> {
    return { courses: (await this.courses.listCourses()).map(toCourseDto) };
  }

  @Post()
  @ApiOperation({
    summary: 'Import a SCORM zip (admin): streamed to SCORM Cloud, then the import job is awaited for a while',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { properties: { file: { format: 'binary', type: 'string' } }, type: 'object' } })
  @ApiCreatedResponse({ description: 'Imported', type: ImportJobDto })
  @ApiAcceptedResponse({ description: 'Still importing: poll the job', type: ImportJobDto })
  async import(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Query() query: ImportCourseQueryDto,
  ): Promise<ImportJobDto> {
    const outcome = await this.uploads.importFromRequest(req, {
      courseId: query.course_id,
      mayCreateNewVersion: query.may_create_new_version === 'true',
    });
    res.status(outcome.finished ? 201 : 202);
    return toImportJobDto(outcome);
  }

  @Get('import-jobs/:job_id')
  @ApiOperation({ summary: 'Status of a course import job (admin)' })
  @ApiOkResponse({ type: ImportJobDto })
  async importJob(@Param() { job_id: jobId }: ImportJobParamsDto): Promise<ImportJobDto> {
    return toImportJobDto(await this.courses.importJob(jobId));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a course on SCORM Cloud (admin)' })
  @ApiNoContentResponse()
  async remove(@Param() { id }: CourseParamsDto): Promise<void> {
    await this.courses.deleteCourse(id);
  }
}
