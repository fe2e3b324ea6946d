import { LearnerErasures } from '@app/persistence';
import { Injectable, OnModuleInit } from '@nestjs/common';

import { BrowseStateRepository } from './repositories/browse-state.repository';
import { MaterialRepository } from './repositories/material.repository';

/**
 * A learner data deletion takes the learner's Bazaar traces with it. SCORM's learner id is the LMS user id (a
 * learner registers as themself: `learner_id` must equal the token's `sub`), which is also Bazaar's `user_id`, so
 * the same id finds both. Views are deleted, not anonymised: nothing reads them back as counts, and a view stripped
 * of its user still points at one person through course, role and time. Browse states go (a pending callback then
 * fails as an unknown state). Materials the user added stay in their courses for the others, without `added_by`.
 */
@Injectable()
export class BazaarLearnerEraser implements OnModuleInit {
  constructor(
    private readonly erasures: LearnerErasures,
    private readonly materials: MaterialRepository,
    private readonly browseStates: BrowseStateRepository,
  ) {}

  onModuleInit(): void {
    this.erasures.register({
      erase: (manager, learner) => this.materials.deleteViewsBy(manager, learner.learnerId),
      holds: (learnerId) => this.materials.hasViewsBy(learnerId),
      name: 'bazaar_material_views',
    });
    this.erasures.register({
      erase: (manager, learner) => this.browseStates.deleteBy(manager, learner.learnerId),
      holds: (learnerId) => this.browseStates.existsFor(learnerId),
      name: 'bazaar_browse_states',
    });
    this.erasures.register({
      erase: (manager, learner) => this.materials.forgetAddedBy(manager, learner.learnerId),
      holds: (learnerId) => this.materials.hasAddedBy(learnerId),
      name: 'bazaar_materials_added_by',
    });
  }
}
