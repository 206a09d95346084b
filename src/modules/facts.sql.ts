import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, raw, sql, toDate } from '../db/sql.js';
import { toClaimant } from './claimant/claimant.sql.js';
import { notFound } from './errors.js';
import type { ClaimantFacts } from './facts.js';
import type { Operation } from './operation.js';

/*
 * claimantFacts: one claimant with its score and requirement figures, its attempts counted for
 * the claimant's own day at `at`; `lock` takes the claimant row FOR UPDATE, serialising fact
 * changes per claimant.
 */
export async function loadFacts(em: EntityManager, userId: number, lock: boolean, at: Date = new Date()): Promise<ClaimantFacts | null> {
  const row = await queryOne<Record<string, any>>(em, sql`/* claimantFacts */
    SELECT c.*, s.current_score AS s_current_score, s.is_active AS s_is_active, s.current_queue_type AS s_current_queue_type,
           s.total_attempts AS s_total_attempts, s.last_call_at AS s_last_call_at, s.user_id IS NOT NULL AS s_exists,
           s.last_queue_check AS s_last_queue_check, s.priority_override AS s_priority_override, s.next_call_after AS s_next_call_after,
           callqueue_attempts_today(s.last_reset_date, s.attempts_today, c.timezone, ${at}::timestamptz) AS s_attempts_today,
           r.total AS r_total, r.pending AS r_pending, r.pending_types AS r_pending_types, r.next_deadline AS r_next_deadline,
           r.received_types AS r_received_types, r.met_types AS r_met_types
      FROM claimants c
      LEFT JOIN user_call_scores s ON s.user_id = c.user_id
      CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE status <> 'waived')::int AS total,
               count(*) FILTER (WHERE status = 'pending')::int AS pending,
               coalesce(array_agg(requirement_type ORDER BY id) FILTER (WHERE status = 'pending'), '{}') AS pending_types,
               min(deadline) FILTER (WHERE status = 'pending') AS next_deadline,
               coalesce(array_agg(requirement_type ORDER BY id) FILTER (WHERE status = 'received'), '{}') AS received_types,
               coalesce(array_agg(requirement_type ORDER BY id) FILTER (WHERE status IN ('received', 'waived')), '{}') AS met_types
          FROM claim_requirements WHERE user_id = c.user_id) r
     WHERE c.user_id = ${userId} ${raw(lock ? 'FOR UPDATE OF c' : '')}`);
  if (!row) return null;
  const own = Object.fromEntries(Object.entries(row).filter(([k]) => !k.startsWith('s_') && !k.startsWith('r_')));
  return {
    claimant: toClaimant(own),
    score: row.s_exists ? {
      currentScore: row.s_current_score, isActive: row.s_is_active, currentQueueType: row.s_current_queue_type,
      totalAttempts: row.s_total_attempts, attemptsToday: row.s_attempts_today, lastCallAt: toDate(row.s_last_call_at),
      scoredAt: toDate(row.s_last_queue_check), priorityOverride: row.s_priority_override, nextCallAfter: toDate(row.s_next_call_after),
    } : null,
    requirements: {
      total: row.r_total, pending: row.r_pending, pendingTypes: row.r_pending_types, nextDeadline: toDate(row.r_next_deadline),
      receivedTypes: row.r_received_types, metTypes: row.r_met_types,
    },
  };
}

/** The claimant's facts with its row locked (fact changes per claimant are serialised); NOT_FOUND when unknown. */
export async function lockedFacts(op: Operation, userId: number): Promise<ClaimantFacts> {
  const facts = await loadFacts(op.em, userId, true);
  if (!facts) throw notFound(`claimant ${userId} does not exist`);
  return facts;
}
