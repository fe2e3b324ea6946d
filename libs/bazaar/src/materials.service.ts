import { Clock, NotFoundError, cursorPage, decodeCursor } from '@app/common';
import { EventOutbox, NewEvent } from '@app/events';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, Repository } from 'typeorm';

import type { PickedMaterial } from './callback-params.decoder';
import { MaterialDto, MaterialListDto } from './dto/material.dto';
import { MaterialEntity } from './entities/material.entity';
import { BazaarRequestsRepository } from './repositories/bazaar-requests.repository';

/** The materials stored per course, and the log of who opened them. */
@Injectable()
export class MaterialsService {
  constructor(
    @InjectRepository(MaterialEntity) private readonly materials: Repository<MaterialEntity>,
    private readonly requests: BazaarRequestsRepository,
    private readonly clock: Clock,
    private readonly outbox: EventOutbox,
  ) {}

  /** Oldest first by (added_at, uid), `limit` per page; the cursor is the last row's pair (an index seek). */
  async list(contextId: string, limit: number, cursor?: string): Promise<MaterialListDto> {
    const builder = this.materials
      .createQueryBuilder('m')
      .where('m.context_id = :contextId', { contextId })
      .orderBy('m.added_at', 'ASC')
      .addOrderBy('m.uid', 'ASC')
      .limit(limit + 1);
    if (cursor !== undefined) {
      const [addedAt, uid] = decodeCursor<[string, string]>(cursor, ['string', 'string']);
      builder.andWhere('(m.added_at > :addedAt OR (m.added_at = :addedAt AND m.uid > :uid))', { addedAt, uid });
    }
    const { items, ...page } = cursorPage(await builder.getMany(), limit, (row) => [
      row.addedAt.toISOString(),
      row.uid,
    ]);
    return { ...page, context_id: contextId, materials: items.map(toDto) };
  }

  async exists(contextId: string, uid: string): Promise<boolean> {
    return this.requests.materialExists(contextId, uid);
  }

  async remove(contextId: string, uid: string, removedBy: string): Promise<void> {
    await this.materials.manager.transaction(async (manager) => {
      const result = await manager.delete(MaterialEntity, { contextId, uid });
      if (!result.affected) throw materialNotFound(contextId, uid);
      const at = this.clock.now();
      await this.outbox.append(manager, [
        materialEvent('bazaar.material_removed', contextId, at, { material_uid: uid, removed_by: removedBy }),
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
    await manager
      .createQueryBuilder()
      .insert()
      .into(MaterialEntity)
      .values(rows)
      .orUpdate(['name', 'description', 'images', 'updated_at'], ['context_id', 'uid'])
      .execute();
    await this.outbox.append(
      manager,
      items.map((item) =>
        materialEvent('bazaar.material_added', contextId, now, {
          added_by: addedBy,
          material_uid: item.uid,
          name: item.name,
        }),
      ),
    );
  }

  async recordView(view: { contextId: string; uid: string; userId: string; role: string; outcome: string }) {
    await this.requests.insertMaterialView({ ...view, id: randomUUID(), viewedAt: this.clock.now() });
  }
}

function materialEvent(
  type: 'bazaar.material_added' | 'bazaar.material_removed',
  contextId: string,
  occurredAt: Date,
  data: Record<string, unknown>,
): NewEvent {
  return { contextId, data: { context_id: contextId, ...data }, occurredAt, type };
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
