import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, raw, sql, toDate } from '../../db/sql.js';
import type { EntryDetails } from '../queue/queue.repository.js';
import type { QueueType } from '../queue/queue-type.js';
import { computeScore, escalationFor, isSignatureUrgent } from '../score/score-policy.js';
import { toClaimant } from '../read-models.js';
import type { Claimant } from './claimant.entity.js';

/** Everything the rules read about one claimant, loaded in one statement. */
export interface ClaimantFacts {
  claimant: Claimant;
  score: {
    currentScore: number;
    isActive: boolean;
    currentQueueType: QueueType | null;
    totalAttempts: number;
    attemptsToday: number;
    lastCallAt: Date | null;
  } | null;
  requirements: {
    /** Requirements not waived. */
    total: number;
    pending: number;
    pendingTypes: string[];
    nextDeadline: Date | null;
    receivedTypes: string[];
    metTypes: string[];
  };
}

/* claimantFacts: `lock` takes the claimant row FOR UPDATE, serialising fact changes per claimant. */
export async function loadFacts(em: EntityManager, userId: number, lock: boolean): Promise<ClaimantFacts | null> {
  const row = await queryOne<Record<string, any>>(em, sql`/* claimantFacts */
    SELECT c.*, s.current_score AS s_current_score, s.is_active AS s_is_active, s.current_queue_type AS s_current_queue_type,
           s.total_attempts AS s_total_attempts, s.last_call_at AS s_last_call_at, s.user_id IS NOT NULL AS s_exists,
           CASE WHEN s.last_reset_date = (now() AT TIME ZONE 'UTC')::date THEN s.attempts_today ELSE 0 END AS s_attempts_today,
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
    } : null,
    requirements: {
      total: row.r_total, pending: row.r_pending, pendingTypes: row.r_pending_types, nextDeadline: toDate(row.r_next_deadline),
      receivedTypes: row.r_received_types, metTypes: row.r_met_types,
    },
  };
}

/**
 * When the claimant's wait started, for the score: the earlier of its entry's enqueued_at
 * (kept across transitions) and the time its signature went missing; else its creation.
 * The same rule at enqueue, on refresh and in scoreBreakdown, so the stored score is explainable.
 */
export function waitingSince(facts: ClaimantFacts, enqueuedAt: Date | null): Date {
  const starts = [enqueuedAt, facts.claimant.signatureMissingSince].filter((d): d is Date => d !== null);
  return starts.length > 0 ? new Date(Math.min(...starts.map((d) => d.getTime()))) : facts.claimant.createdAt;
}

/** The score-derived columns of an entry of `queueType` for this claimant now. */
export function entryDetailsFor(queueType: QueueType, facts: ClaimantFacts, enqueuedAt: Date | null, now: Date): EntryDetails {
  const urgentSignature = isSignatureUrgent(facts.claimant.signatureMissingSince, now);
  const escalationLevel = escalationFor(facts.requirements.nextDeadline, now);
  const priorityScore = computeScore({
    queueType,
    waitingSince: waitingSince(facts, enqueuedAt),
    totalAttempts: facts.score?.totalAttempts ?? 0,
    urgentSignature,
    escalationLevel,
    documentDeadline: facts.requirements.nextDeadline,
  }, now);
  if (queueType === 'unsigned_users') {
    return {
      priorityScore, signatureMissingSince: facts.claimant.signatureMissingSince,
      signatureType: facts.claimant.signatureType, urgentSignature,
    };
  }
  return {
    priorityScore,
    requirementTypes: facts.requirements.pendingTypes,
    totalRequirements: facts.requirements.total,
    pendingRequirements: facts.requirements.pending,
    escalationLevel,
    documentDeadline: facts.requirements.nextDeadline,
  };
}
