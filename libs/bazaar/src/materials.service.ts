import { Clock, NotFoundError } from '@app/common';
import { EventOutbox, NewEvent } from '@app/events';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, Repository } from 'typeorm';

import type { PickedMaterial } from './callback-params.decoder';
import { MaterialDto, MaterialListDto } from './dto/material.dto';
import { MaterialEntity } from './entities/material.entity';
import { MaterialViewEntity } from './entities/material-view.entity';

/** The materials stored per course, and the log of who opened them. */
@Injectable()
export class MaterialsService {
  constructor(
    @InjectRepository(MaterialEntity) private readonly materials: Repository<MaterialEntity>,
    @InjectRepository(MaterialViewEntity) private readonly views: Repository<MaterialViewEntity>,
    private readonly clock: Clock,
    private readonly outbox: EventOutbox,
  ) {}

  async list(contextId: string): Promise<MaterialListDto> {
    const rows = await this.materials.find({ order: { addedAt: 'ASC', uid: 'ASC' }, where: { contextId } });
    return { context_id: contextId, materials: rows.map(toDto) };
  }

  async exists(contextId: string, uid: string): Promise<boolean> {
    return this.materials.exists({ where: { contextId, uid } });
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
    await this.views.insert({ ...view, id: randomUUID(), viewedAt: this.clock.now() });
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
