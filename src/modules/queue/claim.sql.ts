import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, queryRows, raw, sql, toDate } from '../../db/sql.js';
import { QUEUE_TABLE, type QueueStore, type QueueType } from '../queue-type.js';
import { toEntryRecord, type EntryRow, type QueueEntryRecord } from './queue-entry.js';
import { entryColumns } from './queue.sql.js';

/** A locked pending entry with the facts its claim checks read. */
export interface ClaimCandidate {
  entry: QueueEntryRecord;
  timezone: string;
  doNotCall: boolean;
  converted: boolean;
  signatureObtained: boolean;
  scoreActive: boolean;
  nextCallAfter: Date | null;
  attemptsToday: number;
  hasPendingRequirement: boolean;
  /** The entry's due callback was promised for a time the claimant chose. */
  claimantRequested: boolean;
}

/**
 * How the claim locks its candidate: `skip` passes over rows other transactions hold (parallel
 * claims never wait for each other); `wait` queues behind them — for when every candidate is
 * held, typically by a repopulation applying its changes, so that a claim waits for the new
 * queue rather than reporting an empty one.
 */
export type ClaimLock = 'skip' | 'wait';

/* lockAgent: the agent row FOR UPDATE serialises one agent's claims; null when the agent is unknown. */
export async function lockAgent(em: EntityManager, agentId: number): Promise<{ isActive: boolean } | null> {
  const agent = await queryOne<{ is_active: boolean }>(em, sql`/* lockAgent */
    SELECT is_active FROM agents WHERE id = ${agentId} FOR UPDATE`);
  return agent ? { isActive: agent.is_active } : null;
}

export type CandidateRow = EntryRow & Record<string, unknown>;

/**
 * The facts a claim checks, over an entry `e` joined to its claimant `c` and score `s`: the
 * claim and the eligibility diagnostics read them with this one fragment, so they cannot differ.
 */
export const CANDIDATE_FACTS = raw(`c.timezone, c.do_not_call, c.converted_at IS NOT NULL AS converted,
  c.signature_status = 'obtained' AS signature_obtained,
  coalesce(s.is_active, false) AS score_active, s.next_call_after,
  callqueue_attempts_today(s.last_reset_date, s.attempts_today, c.timezone, now()) AS attempts_today,
  EXISTS (SELECT 1 FROM claim_requirements r WHERE r.user_id = e.user_id AND r.status = 'pending') AS has_pending_requirement,
  coalesce((SELECT cb.claimant_requested FROM callbacks cb WHERE cb.id = e.callback_id AND cb.status = 'pending'), false) AS claimant_requested`);
export const CANDIDATE_JOINS = raw(`JOIN claimants c ON c.user_id = e.user_id LEFT JOIN user_call_scores s ON s.user_id = e.user_id`);

export function toCandidate(row: CandidateRow): ClaimCandidate {
  return {
    entry: toEntryRecord(row),
    timezone: row.timezone as string,
    doNotCall: row.do_not_call as boolean,
    converted: row.converted as boolean,
    signatureObtained: row.signature_obtained as boolean,
    scoreActive: row.score_active as boolean,
    nextCallAfter: toDate(row.next_call_after as string | null),
    attemptsToday: row.attempts_today as number,
    hasPendingRequirement: row.has_pending_requirement as boolean,
    claimantRequested: row.claimant_requested as boolean,
  };
}

/*
 * claimCandidate: the head of the claim index, locked with SKIP LOCKED so parallel claims
 * never wait for each other nor take the same entry, joined to the facts its checks read, and
 * the count of entries the agent holds. Entries whose claimant is on a call, or whose callback
 * belongs to another agent until its grace passes, are filtered before locking: they are not
 * this agent's to take. Run after lockAgent, as a statement of its own, so it reads a snapshot
 * taken after that lock (a statement that waited for a lock under READ COMMITTED would still
 * read the snapshot from before the wait, and miss the entry the previous holder just assigned).
 */
export async function claimCandidate(
  em: EntityManager, store: QueueStore, queueType: QueueType, agentId: number, graceMinutes: number, lock: ClaimLock = 'skip',
): Promise<{ held: number; candidate: ClaimCandidate | null }> {
  const table = (t: QueueType) => raw(QUEUE_TABLE[store][t]);
  const rows = await queryRows<CandidateRow>(em, sql`/* claimCandidate */
    SELECT ((SELECT count(*) FROM ${table('unsigned_users')} WHERE assigned_to_agent_id = ${agentId} AND status = 'assigned') +
            (SELECT count(*) FROM ${table('outstanding_requests')} WHERE assigned_to_agent_id = ${agentId} AND status = 'assigned'))::int AS held,
           cand.*
      FROM (SELECT 1) one
      LEFT JOIN LATERAL (
        SELECT ${entryColumns(queueType)}, ${CANDIDATE_FACTS}
          FROM (SELECT * FROM ${table(queueType)} q
                 WHERE q.status = 'pending' AND q.available_from <= now()
                   AND NOT EXISTS (SELECT 1 FROM call_sessions cs WHERE cs.user_id = q.user_id AND cs.status = 'active')
                   AND (q.callback_id IS NULL OR NOT EXISTS (
                         SELECT 1 FROM callbacks cb WHERE cb.id = q.callback_id AND cb.agent_id IS NOT NULL
                            AND cb.agent_id <> ${agentId} AND cb.scheduled_for + make_interval(mins => ${graceMinutes}) > now()))
                 ORDER BY q.priority_score DESC, q.available_from, q.id
                 LIMIT 1
                 FOR UPDATE ${raw(lock === 'skip' ? 'SKIP LOCKED' : '')}) e
          ${CANDIDATE_JOINS}) cand ON true`);
  const row = rows[0]!;
  if (row.id === null) return { held: row.held as number, candidate: null };
  return { held: row.held as number, candidate: toCandidate(row) };
}
