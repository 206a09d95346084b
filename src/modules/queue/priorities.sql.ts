import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, queryRows, raw, sql, type Sql } from '../../db/sql.js';
import { QUEUE_TABLE, type QueueStore, type QueueType } from '../queue-type.js';

/** What the policy derives beside the score, per queue: urgency of the signature, or the escalation level. */
const DERIVED: Record<QueueType, { column: string; value: (at: Date) => Sql }> = {
  unsigned_users: { column: 'urgent_signature', value: (at) => sql`callqueue_urgent_signature(c.signature_missing_since, ${at}::timestamptz)` },
  outstanding_requests: { column: 'escalation_level', value: (at) => sql`callqueue_escalation(e.document_deadline, ${at}::timestamptz)` },
};

/**
 * The live entries of one queue joined to the facts the policy reads, with the policy's priority
 * and derived column at `at` computed once per row (`x`), and the condition that the entry or
 * its score row differ from them — shared by the scan and the rewrite.
 */
function policyOf(store: QueueStore, queueType: QueueType, at: Date) {
  const deadline = raw(queueType === 'unsigned_users' ? 'NULL::timestamptz' : 'e.document_deadline');
  const column = raw(DERIVED[queueType].column);
  const from = sql`${raw(QUEUE_TABLE[store][queueType])} e
    JOIN claimants c ON c.user_id = e.user_id
    LEFT JOIN user_call_scores s ON s.user_id = e.user_id
    CROSS JOIN LATERAL (
      SELECT callqueue_policy_score(${queueType}, least(e.enqueued_at, c.signature_missing_since), coalesce(s.total_attempts, 0),
                                    c.signature_missing_since, ${deadline}, ${at}::timestamptz) AS priority_score,
             ${DERIVED[queueType].value(at)} AS derived) x`;
  const differs = sql`e.status IN ('pending', 'assigned') AND e.callback_id IS NULL AND s.priority_override IS NULL
    AND (x.priority_score <> e.priority_score OR x.derived IS DISTINCT FROM e.${column}
         -- (a claimant without a score row has none to follow: it must not match forever)
         OR (s.user_id IS NOT NULL AND s.current_score IS DISTINCT FROM x.priority_score))`;
  return { from, column, differs };
}

/*
 * agedEntries: the live entries of one queue whose priority, derived column or stored score the
 * policy at `at` would change — one read-only scan (hash joins, no locks).
 */
export async function agedEntries(em: EntityManager, store: QueueStore, queueType: QueueType, at: Date): Promise<number[]> {
  const policy = policyOf(store, queueType, at);
  const rows = await queryRows<{ id: number }>(em, sql`/* agedEntries */
    SELECT e.id FROM ${policy.from}
     WHERE ${policy.differs}
     ORDER BY e.id`);
  return rows.map((r) => r.id);
}

/*
 * refreshPriorities: re-ages the given live entries of one queue to the policy evaluated at
 * `at` (migration 0007's callqueue_policy_score, the same rule as score-policy.ts), and their
 * score rows with them, re-checking each (it may have changed since agedEntries read it).
 * Locking: the rows are locked with SKIP LOCKED, so a claim holding an entry is never waited
 * for (that entry is re-aged on the next run) and a claim never waits for this statement: it
 * skips the few rows held here for the statement's length. Callback entries (top priority
 * until made) and priorities fixed by enqueueUser are left alone.
 */
export async function refreshPriorities(
  em: EntityManager, store: QueueStore, queueType: QueueType, at: Date, ids: readonly number[],
): Promise<number> {
  const table = raw(QUEUE_TABLE[store][queueType]);
  const policy = policyOf(store, queueType, at);
  const row = await queryOne<{ moved: number }>(em, sql`/* refreshPriorities */
    WITH due AS (
      SELECT e.id, x.priority_score, x.derived
        FROM ${policy.from}
       WHERE e.id = ANY(${[...ids]}::bigint[]) AND ${policy.differs}
       FOR UPDATE OF e SKIP LOCKED
    ), moved AS (
      UPDATE ${table} e SET priority_score = due.priority_score, ${policy.column} = due.derived, updated_at = now()
        FROM due WHERE e.id = due.id
      RETURNING e.user_id, e.priority_score
    ), scored AS (
      UPDATE user_call_scores s SET current_score = m.priority_score, last_queue_check = ${at}, updated_at = now()
        FROM moved m WHERE s.user_id = m.user_id
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM moved)::int AS moved`);
  return row!.moved;
}

/* lockPriorityRefresh: one refresh batch at a time across instances; false when another instance runs one now. */
export async function lockPriorityRefresh(em: EntityManager): Promise<boolean> {
  const row = await queryOne<{ locked: boolean }>(em, sql`/* lockPriorityRefresh */
    SELECT pg_try_advisory_xact_lock(hashtext('callqueue.priority-refresh')) AS locked`);
  return row!.locked;
}
