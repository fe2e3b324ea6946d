import { DatabaseNotifications } from '@app/persistence';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { EventEmitter } from 'node:events';
import { DataSource, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent } from 'typeorm';

import { EVENTS_CHANNEL } from './repositories/event.repository';

/**
 * "Events were appended": wakes the stream and the delivery workers instead of letting them poll. Locally it fires
 * when a transaction that appended commits (a TypeORM transaction subscriber); from other instances through
 * PostgreSQL's NOTIFY, which the database sends only on commit. Readers still poll slowly as a safety net: a
 * signal only says "look now", the outbox is the truth.
 */
@Injectable()
export class EventSignal implements OnModuleInit, EntitySubscriberInterface {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly appending = new WeakSet<QueryRunner>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly notifications: DatabaseNotifications,
  ) {}

  onModuleInit(): void {
    this.dataSource.subscribers.push(this);
    this.notifications.subscribe(
      EVENTS_CHANNEL,
      () => this.fire(),
      () => this.fire(),
    );
  }

  /** Fires once `runner`'s transaction commits. */
  appendedIn(runner: QueryRunner | undefined): void {
    if (runner) this.appending.add(runner);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (!this.appending.has(event.queryRunner)) return;
    this.appending.delete(event.queryRunner);
    this.fire();
  }

  afterTransactionRollback(event: { queryRunner: QueryRunner }): void {
    this.appending.delete(event.queryRunner);
  }

  /** Calls `listener` after each commit that appended events; answers the unsubscribe function. */
  onAppended(listener: () => void): () => void {
    this.emitter.on('appended', listener);
    return () => this.emitter.off('appended', listener);
  }

  private fire(): void {
    this.emitter.emit('appended');
  }
}
