import { BigIntType, type EntitySchemaProperty } from '@mikro-orm/core';

/**
 * Column helpers for the EntitySchema definitions. Ids from the claims platform are bigint in
 * Postgres and numbers in JS: they stay far below 2^53.
 */
type Prop = Partial<EntitySchemaProperty<unknown, unknown>>;

export const bigintId = (): Prop => ({ type: new BigIntType('number'), primary: true, autoincrement: true });
export const bigintCol = (extra: Prop = {}): Prop => ({ type: new BigIntType('number'), ...extra });
export const text = (extra: Prop = {}): Prop => ({ type: 'text', ...extra });
export const int = (extra: Prop = {}): Prop => ({ type: 'integer', ...extra });
export const bool = (extra: Prop = {}): Prop => ({ type: 'boolean', ...extra });
export const time = (extra: Prop = {}): Prop => ({ type: 'datetime', columnType: 'timestamptz', ...extra });
export const json = (extra: Prop = {}): Prop => ({ type: 'json', columnType: 'jsonb', ...extra });
export const timestamps = () => ({
  createdAt: time({ onCreate: () => new Date() }),
  updatedAt: time({ onCreate: () => new Date(), onUpdate: () => new Date() }),
});
