import { Column, ColumnOptions, ValueTransformer } from 'typeorm';

/**
 * Dates are stored as fixed-width ISO-8601 UTC strings (`2026-11-23T04:33:14.123Z`): one column type that
 * behaves the same on SQLite and PostgreSQL, sorts correctly as text and never shifts with a server time zone.
 */
export const isoTimestampTransformer: ValueTransformer = {
  from: (value: string | null | undefined) => (value == null ? value : new Date(value)),
  to: (value: Date | string | null | undefined) =>
    value == null ? value : value instanceof Date ? value.toISOString() : new Date(value).toISOString(),
};

export const TIMESTAMP_LENGTH = 24;

export function TimestampColumn(
  options: Omit<ColumnOptions, 'type' | 'length' | 'transformer'> = {},
): PropertyDecorator {
  return Column({ ...options, length: TIMESTAMP_LENGTH, transformer: isoTimestampTransformer, type: 'varchar' });
}
