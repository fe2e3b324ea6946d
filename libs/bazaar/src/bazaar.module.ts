import { Clock, SystemClock } from '@app/common';
import { EventsModule } from '@app/events';
import { CoordinationModule } from '@app/persistence';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { BazaarCallbackController } from './bazaar-callback.controller';
import { BazaarCallbackService } from './bazaar-callback.service';
import { BazaarClient } from './bazaar.client';
import { BazaarController } from './bazaar.controller';
import { BazaarLearnerEraser } from './bazaar-learner.eraser';
import { BazaarRequestSigner } from './bazaar-request.signer';
import { BazaarService } from './bazaar.service';
import { BrowseStateService } from './browse-state.service';
import { BrowseStateEntity } from './entities/browse-state.entity';
import { MaterialViewEntity } from './entities/material-view.entity';
import { MaterialEntity } from './entities/material.entity';
import { MaterialsController } from './materials.controller';
import { MaterialsService } from './materials.service';
import { BrowseStateRepository } from './repositories/browse-state.repository';
import { MaterialRepository } from './repositories/material.repository';

/** The Bazaar LMS interface (the Bazaar spec): browse, add callback, cancel, view, and the materials per course. */
@Module({
  controllers: [BazaarCallbackController, BazaarController, MaterialsController],
  exports: [BazaarService, MaterialsService],
  imports: [
    CoordinationModule,
    EventsModule,
    TypeOrmModule.forFeature([BrowseStateEntity, MaterialEntity, MaterialViewEntity]),
  ],
  providers: [
    BazaarCallbackService,
    BazaarClient,
    BazaarLearnerEraser,
    BazaarRequestSigner,
    BazaarService,
    BrowseStateRepository,
    BrowseStateService,
    MaterialRepository,
    MaterialsService,
    { provide: Clock, useClass: SystemClock },
  ],
})
export class BazaarModule {}
