import { Clock, DomainError } from '@app/common';
import { JobLeases } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';

import { BrowseStateEntity } from './entities/browse-state.entity';
import { BrowseStateRepository } from './repositories/browse-state.repository';

/**
 * How long a browse session may come back. Bazaar's browse_url itself expires in 60 s, but the teacher may
 * look around the store for a while before picking.
 */
export const BROWSE_STATE_TTL_MS = 60 * 60 * 1000;
/** Consumed and expired states are kept this long for support questions, then swept. */
const STATE_RETENTION_MS = 24 * 60 * 60 * 1000;
const SWEEP_EVERY_MS = 60 * 60 * 1000;

export interface NewBrowseState {
  userId: string;
  role: string;
  contextId: string;
  returnUrl: string;
}

export const hashState = (state: string) => createHash('sha256').update(state, 'utf8').digest('hex');

/** Issues and consumes the random single-use `state` that binds a Bazaar callback to a browse request. */
@Injectable()
export class BrowseStateService {
  private lastSweep = 0;

  constructor(
    private readonly states: BrowseStateRepository,
    private readonly clock: Clock,
    private readonly leases: JobLeases,
  ) {}

  async issue(binding: NewBrowseState): Promise<{ state: string; id: string }> {
    const now = this.clock.now();
    await this.sweep(now);
    const state = randomBytes(32).toString('base64url');
    const id = randomUUID();
    await this.states.insert({
      ...binding,
      createdAt: now,
      expiresAt: new Date(now.getTime() + BROWSE_STATE_TTL_MS),
      id,
      stateHash: hashState(state),
    });
    return { id, state };
  }

  /** For a browse that failed upstream: the state was never handed out. */
  async discard(id: string): Promise<void> {
    await this.states.delete(id);
  }

  /**
   * Marks the state used, atomically: of two concurrent callbacks with one state, exactly one gets the row.
   * Unknown, expired and already-used states are refused with a 400 that says which.
   */
  async consume(manager: EntityManager, state: unknown, outcome: string): Promise<BrowseStateEntity> {
    // ?state=a&state=b arrives as an array: not a state we issued.
    if (typeof state !== 'string' || !state) {
      throw new DomainError(
        'BAZAAR_STATE_MISSING',
        'The Bazaar callback needs exactly one state parameter',
        'bad_request',
      );
    }
    const { consumed, row } = await this.states.consume(manager, hashState(state), this.clock.now(), outcome);
    if (consumed && row) return row;
    if (!row) {
      throw new DomainError('BAZAAR_STATE_UNKNOWN', 'The Bazaar callback state is unknown', 'bad_request');
    }
    if (row.consumedAt) {
      throw new DomainError('BAZAAR_STATE_USED', 'The Bazaar callback state was already used', 'bad_request');
    }
    throw new DomainError(
      'BAZAAR_STATE_EXPIRED',
      'The Bazaar callback state has expired; start browsing again',
      'bad_request',
    );
  }

  private async sweep(now: Date): Promise<void> {
    if (now.getTime() - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now.getTime();
    // With several instances, the first to issue a state in a period sweeps; the others skip until the next one.
    if (!(await this.leases.claimPeriod('bazaar-browse-state-sweep', SWEEP_EVERY_MS))) return;
    await this.states.sweep(new Date(now.getTime() - STATE_RETENTION_MS));
  }
}
