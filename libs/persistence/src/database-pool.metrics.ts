import { GatewayMetrics } from '@app/common';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** What node-postgres's Pool reports about itself. */
interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options: { max?: number };
}

/**
 * Reports the database connection pool to the metrics registry: node-postgres's pool behind TypeORM's
 * PostgreSQL driver, or SQLite's single connection.
 */
@Injectable()
export class DatabasePoolMetrics implements OnApplicationBootstrap {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metrics: GatewayMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (this.dataSource.options.type !== 'postgres') {
      this.metrics.observeDatabasePool(() => ({ max: 1, total: this.dataSource.isInitialized ? 1 : 0 }));
      return;
    }
    const pool = (this.dataSource.driver as unknown as { master: PgPool }).master;
    this.metrics.observeDatabasePool(() => ({
      idle: pool.idleCount,
      max: pool.options.max ?? 10,
      total: pool.totalCount,
      waiting: pool.waitingCount,
    }));
  }
}
