import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** The learner being erased: the id and the registrations the gateway knew for them. */
export interface ErasedLearner {
  learnerId: string;
  registrationIds: string[];
}

/** One library's share of a learner's data: it erases its rows in the deletion's transaction and counts them. */
export interface LearnerDataEraser {
  /** Names what it erased in the receipt, e.g. `postbacks`. */
  name: string;
  erase(manager: EntityManager, learner: ErasedLearner): Promise<number>;
  /**
   * Whether it still holds data of the learner, for data not tied to their registrations (which the deletion finds
   * itself): a repeated deletion answers the earlier receipt only when no eraser holds anything.
   */
  holds?(learnerId: string): Promise<boolean>;
}

/**
 * Who holds a learner's personal data besides the registrations: libraries register an eraser at start-up (raw
 * postbacks, the event log, ...) and the learner deletion runs every one in its transaction, so a library that adds a
 * table with personal data adds its eraser beside it and the deletion needs no change.
 */
@Injectable()
export class LearnerErasures {
  private readonly erasers = new Map<string, LearnerDataEraser>();

  register(eraser: LearnerDataEraser): void {
    this.erasers.set(eraser.name, eraser);
  }

  all(): LearnerDataEraser[] {
    return [...this.erasers.values()];
  }
}
