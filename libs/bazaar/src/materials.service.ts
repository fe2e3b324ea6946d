import { Clock, NotFoundError } from '@app/common';
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
  ) {}

  async list(contextId: string): Promise<MaterialListDto> {
    const rows = await this.materials.find({ order: { addedAt: 'ASC', uid: 'ASC' }, where: { contextId } });
    return { context_id: contextId, materials: rows.map(toDto) };
  }

  async exists(contextId: string, uid: string): Promise<boolean> {
    return this.requests.materialExists(contextId, uid);
  }

  async remove(contextId: string, uid: string): Promise<void> {
    const result = await this.materials.delete({ contextId, uid });
    if (!result.affected) throw materialNotFound(contextId, uid);
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
  }

  async recordView(view: { contextId: string; uid: string; userId: string; role: string; outcome: string }) {
    await this.requests.insertMaterialView({ ...view, id: randomUUID(), viewedAt: this.clock.now() });
  }
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
