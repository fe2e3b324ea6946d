import { Clock, NotFoundError, cursorPage, decodeCursor } from '@app/common';
import { EventOutbox, NewEvent } from '@app/events';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';

import type { PickedMaterial } from './callback-params.decoder';
import { MaterialDto, MaterialListDto } from './dto/material.dto';
import { MaterialEntity } from './entities/material.entity';
import { MaterialRepository } from './repositories/material.repository';

/** The materials stored per course, and the log of who opened them. */
@Injectable()
export class MaterialsService {
  constructor(
    private readonly materials: MaterialRepository,
    private readonly clock: Clock,
    private readonly outbox: EventOutbox,
  ) {}

  /** Oldest first by (added_at, uid), `limit` per page; the cursor is the last row's pair (an index seek). */
  async list(contextId: string, limit: number, cursor?: string): Promise<MaterialListDto> {
    const after = cursor === undefined ? undefined : decodeCursor<[string, string]>(cursor, ['string', 'string']);
    const rows = await this.materials.page(contextId, limit + 1, after);
    const { items, ...page } = cursorPage(rows, limit, (row) => [row.addedAt.toISOString(), row.uid]);
    return { ...page, context_id: contextId, materials: items.map(toDto) };
  }

  /** `userId`: the LMS user who removed it (none for an API key), whom a learner data deletion erases the event with. */
  async remove(contextId: string, uid: string, removedBy: string, userId?: string): Promise<void> {
    await this.materials.transaction(async (manager) => {
      if (!(await this.materials.delete(manager, contextId, uid))) throw materialNotFound(contextId, uid);
      const at = this.clock.now();
      await this.outbox.append(manager, [
        materialEvent('bazaar.material_removed', contextId, at, userId, { material_uid: uid, removed_by: removedBy }),
      ]);
    });
  }

  /** Same uid in the same course again updates the one row (the unique index settles concurrent adds). */
  async upsert(manager: EntityManager, contextId: string, addedBy: string, items: PickedMaterial[]): Promise<void> {
    const now = this.clock.now();
    const rows = items.map((item) => ({
      addedAt: now,
      addedBy,
      contextId,
      description: item.description,
      id: randomUUID(),
      images: item.images,
      name: item.name,
      uid: item.uid,
      updatedAt: now,
    }));
    await this.materials.upsert(manager, rows);
    await this.outbox.append(
      manager,
      items.map((item) =>
        materialEvent('bazaar.material_added', contextId, now, addedBy, {
          added_by: addedBy,
          material_uid: item.uid,
          name: item.name,
        }),
      ),
    );
  }

  /**
   * Logs a view as opened, if the course has the material (one statement): its id, or undefined (nothing logged)
   * when there is no such material. `viewOutcome` corrects the outcome when Bazaar then refuses.
   */
  async recordView(view: {
    contextId: string;
    uid: string;
    userId: string;
    role: string;
  }): Promise<string | undefined> {
    const id = randomUUID();
    const row = { ...view, id, outcome: 'opened', viewedAt: this.clock.now() };
    return (await this.materials.insertViewIfPresent(row)) ? id : undefined;
  }

  async viewOutcome(id: string, outcome: string): Promise<void> {
    await this.materials.setViewOutcome(id, outcome);
  }
}

/**
 * A material event is the course's (everyone in the course may see it) and names the user who acted, its actor: a
 * learner data deletion of that user erases it with their other events.
 */
function materialEvent(
  type: 'bazaar.material_added' | 'bazaar.material_removed',
  contextId: string,
  occurredAt: Date,
  userId: string | undefined,
  data: Record<string, unknown>,
): NewEvent {
  return { actorId: userId || undefined, contextId, data: { context_id: contextId, ...data }, occurredAt, type };
}

export function materialNotFound(contextId: string, uid: string): NotFoundError {
  return new NotFoundError('MATERIAL_NOT_FOUND', `No Bazaar material ${uid} in course ${contextId}`);
}

function toDto(row: MaterialEntity): MaterialDto {
  return {
    added_at: row.addedAt.toISOString(),
    added_by: row.addedBy,
    description: row.description,
    images: row.images,
    name: row.name,
    uid: row.uid,
    updated_at: row.updatedAt.toISOString(),
  };
}
