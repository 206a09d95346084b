import type { EntityManager } from '@mikro-orm/postgresql';
import { rowMapper } from '../../db/rows.js';
import { queryOne, queryRows, sql } from '../../db/sql.js';

/** What an erasure writes in place of names, phone and free text. */
export const ERASED = '[erased]';

/** After a call, the agent keeps the claimant this long for its after-call work (outcome, notes, callback). */
export const AFTER_CALL_MINUTES = 15;

/*
 * heldClaimants: of these claimants, those the agent holds now — an assigned entry (either
 * store), an active call or one it ended in the last AFTER_CALL_MINUTES, or a pending callback
 * promised to it. An AGENT key reads their personal data, nobody else's.
 */
export async function heldClaimants(em: EntityManager, agentId: number, userIds: readonly number[]): Promise<Set<number>> {
  const rows = await queryRows<{ user_id: number }>(em, sql`/* heldClaimants */
    SELECT user_id FROM unsigned_users_queue WHERE assigned_to_agent_id = ${agentId} AND status = 'assigned' AND user_id = ANY(${userIds}::bigint[])
    UNION SELECT user_id FROM outstanding_requests_queue WHERE assigned_to_agent_id = ${agentId} AND status = 'assigned' AND user_id = ANY(${userIds}::bigint[])
    UNION SELECT user_id FROM call_queue WHERE assigned_to_agent_id = ${agentId} AND status = 'assigned' AND user_id = ANY(${userIds}::bigint[])
    UNION SELECT user_id FROM call_sessions WHERE agent_id = ${agentId} AND user_id = ANY(${userIds}::bigint[])
                                              AND (status = 'active' OR ended_at > now() - make_interval(mins => ${AFTER_CALL_MINUTES}))
    UNION SELECT user_id FROM callbacks WHERE agent_id = ${agentId} AND status = 'pending' AND user_id = ANY(${userIds}::bigint[])`);
  return new Set(rows.map((r) => Number(r.user_id)));
}

export interface AccessRecord {
  id: number;
  at: Date;
  keyId: number | null;
  actor: string;
  role: string;
  userIds: number[];
  fields: string[];
  unmasked: boolean;
  operation: string | null;
}
const toAccess = rowMapper<AccessRecord>(['at']);

/* recordAccess: one row per request that read personal data. */
export async function recordAccess(em: EntityManager, a: Omit<AccessRecord, 'id' | 'at'>): Promise<void> {
  await queryRows(em, sql`/* recordAccess */
    INSERT INTO personal_data_access (key_id, actor, role, user_ids, fields, unmasked, operation)
    VALUES (${a.keyId}, ${a.actor}, ${a.role}, ${a.userIds}::bigint[], ${a.fields}::text[], ${a.unmasked}, ${a.operation})`);
}

/* listAccess: newest first, in a time range, optionally of one key or one claimant. */
export async function listAccess(
  em: EntityManager, f: { from: Date; to: Date; keyId: number | null; userId: number | null; limit: number },
): Promise<AccessRecord[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* listAccess */
    SELECT id, at, key_id, actor, role, user_ids, fields, unmasked, operation FROM personal_data_access
     WHERE at BETWEEN ${f.from} AND ${f.to}
       AND (${f.keyId}::bigint IS NULL OR key_id = ${f.keyId}::bigint)
       AND (${f.userId}::bigint IS NULL OR user_ids @> ARRAY[${f.userId}::bigint])
     ORDER BY at DESC, id DESC LIMIT ${f.limit}`)).map(toAccess);
}

export interface ErasureRecord {
  userId: number;
  actor: string;
  reason: string;
  at: Date;
  entriesRemoved: number;
  callbacksCancelled: number;
}

const ERASURE = sql`user_id, actor, reason, at, entries_removed, callbacks_cancelled`;
const toErasure = rowMapper<ErasureRecord>(['at']);

/*
 * eraseClaimantData: the claimant's names and phone, and every free text stored about it
 * (reasons of its entries, transitions, callbacks, calls and conversions), replaced by the
 * marker; its pending callbacks cancelled, its legacy rows closed, its score deactivated, and
 * the erasure recorded — in one statement. Counts, ids and states stay.
 */
export async function eraseClaimantData(
  em: EntityManager, e: { userId: number; actor: string; reason: string; entriesRemoved: number; callbacksCancelled: number },
): Promise<ErasureRecord> {
  const userId = e.userId;
  const row = await queryOne<Record<string, unknown>>(em, sql`/* eraseClaimantData */
    WITH cancelled AS (
      UPDATE callbacks c SET reason = ${ERASED},
             status = CASE WHEN o.status = 'pending' THEN 'cancelled' ELSE o.status END,
             closed_at = CASE WHEN o.status = 'pending' THEN now() ELSE o.closed_at END, updated_at = now()
        FROM callbacks o WHERE o.id = c.id AND c.user_id = ${userId}
      RETURNING o.status AS was
    ), claimant AS (
      UPDATE claimants SET first_name = ${ERASED}, last_name = ${ERASED}, phone = NULL, do_not_call = true,
                           erased_at = now(), updated_at = now()
       WHERE user_id = ${userId}
    ), unsigned AS (
      UPDATE unsigned_users_queue SET closed_reason = CASE WHEN closed_reason IS NOT NULL THEN ${ERASED} END,
                                      callback_reason = CASE WHEN callback_reason IS NOT NULL THEN ${ERASED} END
       WHERE user_id = ${userId} AND (closed_reason IS NOT NULL OR callback_reason IS NOT NULL)
    ), outstanding AS (
      UPDATE outstanding_requests_queue SET closed_reason = CASE WHEN closed_reason IS NOT NULL THEN ${ERASED} END,
                                            callback_reason = CASE WHEN callback_reason IS NOT NULL THEN ${ERASED} END
       WHERE user_id = ${userId} AND (closed_reason IS NOT NULL OR callback_reason IS NOT NULL)
    ), legacy AS (
      UPDATE call_queue SET status = 'removed', updated_at = now() WHERE user_id = ${userId} AND status IN ('pending', 'assigned')
    ), transitions AS (
      UPDATE queue_transitions SET reason = ${ERASED} WHERE user_id = ${userId}
    ), sessions AS (
      UPDATE call_sessions SET override_reason = ${ERASED} WHERE user_id = ${userId} AND override_reason IS NOT NULL
    ), requests AS (
      UPDATE call_requests SET override_reason = CASE WHEN override_reason IS NOT NULL THEN ${ERASED} END
       WHERE user_id = ${userId} AND override_reason IS NOT NULL
    ), conversions AS (
      UPDATE conversions SET conversion_reason = ${ERASED} WHERE user_id = ${userId} AND conversion_reason IS NOT NULL
    ), score AS (
      UPDATE user_call_scores SET is_active = false, updated_at = now() WHERE user_id = ${userId}
    )
    INSERT INTO claimant_erasures (user_id, actor, reason, entries_removed, callbacks_cancelled)
    VALUES (${userId}, ${e.actor}, ${e.reason}, ${e.entriesRemoved}, ${e.callbacksCancelled} + (SELECT count(*)::int FROM cancelled WHERE was = 'pending'))
    RETURNING ${ERASURE}`);
  return toErasure(row!);
}

/* listErasures: newest first. */
export async function listErasures(em: EntityManager, limit: number): Promise<ErasureRecord[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* listErasures */
    SELECT ${ERASURE} FROM claimant_erasures ORDER BY at DESC, id DESC LIMIT ${limit}`)).map(toErasure);
}
