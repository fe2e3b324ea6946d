import { DomainError } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { BrowseStateService } from './browse-state.service';
import { decodeCallbackParams } from './callback-params.decoder';
import { MaterialsService } from './materials.service';
import { withOutcome } from './return-url.policy';

/**
 * Bazaar's browser-side callbacks. They carry no signature (the Bazaar spec), so the single-use state issued at
 * browse time is what authenticates them: consumed in the same transaction that stores the materials.
 */
@Injectable()
export class BazaarCallbackService {
  private readonly logger = new Logger(BazaarCallbackService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly states: BrowseStateService,
    private readonly materials: MaterialsService,
  ) {}

  /** Where the browser goes next: the return URL with `bazaar_status=added&count=N` or the error code. */
  async add(state: string | undefined, body: unknown): Promise<string> {
    let decodeError: DomainError | undefined;
    let items: ReturnType<typeof decodeCallbackParams> = [];
    try {
      items = decodeCallbackParams(body);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      decodeError = error;
    }
    return this.dataSource.transaction(async (manager) => {
      const browse = await this.states.consume(manager, state, decodeError?.code ?? 'added');
      if (decodeError) {
        this.logger.warn(`Bazaar callback for course ${browse.contextId} refused: ${decodeError.message}`);
        return withOutcome(browse.returnUrl, { bazaar_status: 'error', bazaar_error: decodeError.code });
      }
      await this.materials.upsert(manager, browse.contextId, browse.userId, items);
      return withOutcome(browse.returnUrl, { bazaar_status: 'added', count: items.length });
    });
  }

  async cancel(state: string | undefined): Promise<string> {
    return this.dataSource.transaction(async (manager) => {
      const browse = await this.states.consume(manager, state, 'cancelled');
      return withOutcome(browse.returnUrl, { bazaar_status: 'cancelled' });
    });
  }
}
