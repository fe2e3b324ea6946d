import { TableColumnOptions } from 'typeorm';

import { TIMESTAMP_LENGTH } from './timestamp.column';

/** Column builders for portable migrations (SQLite and PostgreSQL run the same files). */
export const col = {
  bool: (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
    name,
    type: 'boolean',
    ...extra,
  }),
  id: (name = 'id'): TableColumnOptions => ({ isPrimary: true, length: '36', name, type: 'varchar' }),
  int: (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
    name,
    type: 'integer',
    ...extra,
  }),
  real: (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
    name,
    type: 'double precision',
    ...extra,
  }),
  text: (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
    name,
    type: 'text',
    ...extra,
  }),
  timestamp: (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
    length: String(TIMESTAMP_LENGTH),
    name,
    type: 'varchar',
    ...extra,
  }),
  varchar: (name: string, length: number, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
    length: String(length),
    name,
    type: 'varchar',
    ...extra,
  }),
};
