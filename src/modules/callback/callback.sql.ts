import type { EntityManager } from '@mikro-orm/postgresql';
import { rowMapper, STAMPS } from '../../db/rows.js';
import { queryOne, queryRows, sql } from '../../db/sql.js';
import type { KeysetCursor } from '../pagination.js';
import type { Callback, CallbackStatus } from './callback.entity.js';

export const toCallback = rowMapper<Callback>([...STAMPS, 'scheduled_for', 'due_notified_at', 'closed_at']);

/* callbacksByIds */
export async function callbacksByIds(em: EntityManager, ids: readonly number[]): Promise<Callback[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* callbacksByIds */ SELECT * FROM callbacks WHERE id = ANY(${[...ids]}::bigint[])`)).map(toCallback);
}

export interface CallbackFilter {
  status?: CallbackStatus | null;
  agentId?: number | null;
  userId?: number | null;
  from?: Date | null;
  to?: Date | null;
}

export type CallbackRow = Record<string, unknown> & { scheduled_for: string; id: number };

/* listCallbacks: soonest first, after the keyset cursor. */
export async function listCallbacks(em: EntityManager, filter: CallbackFilter, cursor: KeysetCursor, limit: number): Promise<CallbackRow[]> {
  return queryRows<CallbackRow>(em, sql`/* listCallbacks */
    SELECT c.* FROM callbacks c
     WHERE (${filter.status ?? null}::text IS NULL OR c.status = ${filter.status ?? null})
       AND (${filter.agentId ?? null}::int IS NULL OR c.agent_id = ${filter.agentId ?? null})
       AND (${filter.userId ?? null}::bigint IS NULL OR c.user_id = ${filter.userId ?? null})
       AND (${filter.from ?? null}::timestamptz IS NULL OR c.scheduled_for >= ${filter.from ?? null})
       AND (${filter.to ?? null}::timestamptz IS NULL OR c.scheduled_for < ${filter.to ?? null})
       AND (${cursor.at}::timestamptz IS NULL OR (c.scheduled_for, c.id) > (${cursor.at}::timestamptz, ${cursor.id}::bigint))
     ORDER BY c.scheduled_for, c.id
     LIMIT ${limit}`);
}

/* callbackById: `lock` takes it FOR UPDATE (a cancel or a due check follows). */
export async function callbackById(em: EntityManager, id: number, lock = false): Promise<Callback | null> {
  const row = await queryOne<Record<string, unknown>>(em, lock
    ? sql`/* lockCallback */ SELECT * FROM callbacks WHERE id = ${id} FOR UPDATE`
    : sql`/* callbackById */ SELECT * FROM callbacks WHERE id = ${id}`);
  return row ? toCallback(row) : null;
}

/* supersedeCallback: one pending callback per claimant — a new one cancels the one before. */
export async function supersedeCallbacks(em: EntityManager, userId: number): Promise<void> {
  await queryRows(em, sql`/* supersedeCallback */
    UPDATE callbacks SET status = 'cancelled', closed_at = now(), updated_at = now()
     WHERE user_id = ${userId} AND status = 'pending'`);
}

/* insertCallback: `createdEntry` says the callback put the claimant in its queue (a cancel takes it out again). */
export async function insertCallback(
  em: EntityManager,
  c: { userId: number; agentId: number | null; scheduledFor: Date; reason: string; queueType: string; createdEntry: boolean; claimantRequested: boolean },
): Promise<Callback> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* insertCallback */
    INSERT INTO callbacks (user_id, agent_id, scheduled_for, reason, queue_type, created_entry, claimant_requested)
    VALUES (${c.userId}, ${c.agentId}, ${c.scheduledFor}, ${c.reason}, ${c.queueType}, ${c.createdEntry}, ${c.claimantRequested})
    RETURNING *`);
  return toCallback(row!);
}

/*
 * dueCallbacks: stamps the callbacks that became due and returns them, each once across
 * instances — rows are claimed with SKIP LOCKED and stamped in the transaction that publishes
 * them, so two instances running the job at the same minute split the rows between them.
 */
export async function claimDueCallbacks(em: EntityManager, limit: number): Promise<{ id: number; agent_id: number | null }[]> {
  return queryRows(em, sql`/* dueCallbacks */
    UPDATE callbacks c SET due_notified_at = now(), updated_at = now()
     WHERE c.id IN (SELECT id FROM callbacks WHERE status = 'pending' AND due_notified_at IS NULL AND scheduled_for <= now()
                     ORDER BY scheduled_for LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING c.id, c.agent_id`);
}

/* overdueCallbacks: pending callbacks past their grace period, oldest first (read without locks; each is re-checked locked). */
export async function overdueCallbacks(em: EntityManager, graceMinutes: number, limit: number): Promise<{ id: number; user_id: number }[]> {
  return queryRows(em, sql`/* overdueCallbacks */
    SELECT id, user_id FROM callbacks
     WHERE status = 'pending' AND scheduled_for + make_interval(mins => ${graceMinutes}) < now()
     ORDER BY scheduled_for LIMIT ${limit}`);
}

/* lockOverdueCallback: still pending and overdue, locked; false when another instance or the call got there first. */
export async function lockOverdueCallback(em: EntityManager, id: number, graceMinutes: number): Promise<boolean> {
  const row = await queryOne(em, sql`/* lockOverdueCallback */ SELECT id FROM callbacks WHERE id = ${id} AND status = 'pending'
    AND scheduled_for + make_interval(mins => ${graceMinutes}) < now() FOR UPDATE`);
  return row !== null && row !== undefined;
}
