import { Caller, CurrentCaller, Roles, describeCaller } from '@app/auth';
import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';

import { LearnerDeletionReceiptDto } from '../dto/learner-deletion.dto';
import { LearnerParamsDto } from '../dto/scorm-params.dto';
import { LearnerDeletionService } from './learner-deletion.service';

@ApiTags('scorm-cloud')
@ApiBearerAuth()
@Controller('api/v1/learners')
export class LearnersController {
  constructor(private readonly deletion: LearnerDeletionService) {}

  @Delete(':learner_id')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({
    description:
      "Erases the learner's registrations, progress, names, raw postbacks, events and Bazaar views and browse " +
      "states here (materials they added stay, without their id) and asks SCORM Cloud to erase theirs: the learner's " +
      'registrations deleted (v1 and v2), and on v2 also POST /learner/{learnerId}/delete-information, asynchronous, ' +
      'on behalf of SCORM_CLOUD_REALM_USER_EMAIL. Then announces learner.deleted. Idempotent: repeated when nothing ' +
      'is left, it answers the same receipt with repeated=true. When SCORM Cloud fails nothing is erased here and the ' +
      'request can be repeated.',
    summary: "Erase a learner's data here and on SCORM Cloud (admin)",
  })
  @ApiOkResponse({ type: LearnerDeletionReceiptDto })
  @ApiBadGatewayResponse({ description: 'SCORM Cloud refused or failed; nothing was erased' })
  @ApiServiceUnavailableResponse({
    description: 'LEARNER_DELETION_NOT_CONFIGURED: v2 without SCORM_CLOUD_REALM_USER_EMAIL',
  })
  remove(
    @CurrentCaller() caller: Caller,
    @Param() { learner_id: learnerId }: LearnerParamsDto,
  ): Promise<LearnerDeletionReceiptDto> {
    return this.deletion.delete(learnerId, describeCaller(caller));
  }
}
