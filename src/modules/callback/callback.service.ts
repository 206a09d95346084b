import type { EntityManager } from '@mikro-orm/postgresql';
import { keysetPage, type Edge, type Page } from '../pagination.js';
import type { Callback } from './callback.entity.js';
import { listCallbacks as listCallbackRows, toCallback, type CallbackFilter, type CallbackRow } from './callback.sql.js';

export type CallbackPage = Page<Callback>;
export type CallbackEdge = Edge<Callback>;
export type { CallbackFilter };

/** Callbacks matching the filter, soonest first. */
export async function listCallbacks(
  em: EntityManager, filter: CallbackFilter, first: number | null | undefined, after: string | null | undefined, maxPageSize: number,
): Promise<CallbackPage> {
  return keysetPage<CallbackRow, Callback>({ first, after, maxPageSize }, 'scheduled_for',
    (cursor, limit) => listCallbackRows(em, filter, cursor, limit), toCallback);
}
