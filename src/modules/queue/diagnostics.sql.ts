import type { EntityManager } from '@mikro-orm/postgresql';
import { joinSql, queryOne, queryRows, raw, sql, toDate } from '../../db/sql.js';
import { QUEUE_TABLE, QUEUE_TYPES, type QueueStore, type QueueType } from '../queue-type.js';
import { CANDIDATE_FACTS, CANDIDATE_JOINS, toCandidate, type CandidateRow, type ClaimCandidate } from './claim.sql.js';
import { entryColumns } from './queue.sql.js';

/** A live entry with everything the claim looks at, read without locks (for diagnostics). */
export interface EntryFacts extends ClaimCandidate {
  onCall: boolean;
  /** A callback reserved for this agent until this time (other agents may not claim it before). */
  reservedFor: { agentId: number; until: Date } | null;
  lease: { expiresAt: Date } | null;
}

function toEntryFacts(row: CandidateRow): EntryFacts {
  return {
    ...toCandidate(row),
    onCall: row.on_call as boolean,
    reservedFor: row.reserved_agent_id === null ? null : { agentId: Number(row.reserved_agent_id), until: toDate(row.reserved_until as string)! },
    lease: row.lease_expires_at === null ? null : { expiresAt: toDate(row.lease_expires_at as string)! },
  };
}

/*
 * liveEntryFacts: live entries of one queue (or one claimant's), with the claim's facts
 * (CANDIDATE_FACTS, the claim's own fragment), whether the claimant is on a call, a callback's
 * reservation for its preferred agent, and the assignment's lease.
 */
export async function liveEntryFacts(
  em: EntityManager, store: QueueStore, graceMinutes: number, scope: { queueType: QueueType } | { userId: number },
): Promise<EntryFacts[]> {
  const types = 'queueType' in scope ? [scope.queueType] : QUEUE_TYPES;
  const only = 'userId' in scope ? sql`AND e.user_id = ${scope.userId}` : sql``;
  const parts = types.map((t) => sql`SELECT ${entryColumns(t)}, ${CANDIDATE_FACTS},
      EXISTS (SELECT 1 FROM call_sessions cs WHERE cs.user_id = e.user_id AND cs.status = 'active') AS on_call,
      cb.agent_id AS reserved_agent_id, cb.scheduled_for + make_interval(mins => ${graceMinutes}) AS reserved_until,
      l.expires_at AS lease_expires_at
    FROM ${raw(QUEUE_TABLE[store][t])} e ${CANDIDATE_JOINS}
    LEFT JOIN callbacks cb ON cb.id = e.callback_id AND cb.status = 'pending' AND cb.agent_id IS NOT NULL
    LEFT JOIN assignment_leases l ON l.entry_id = e.id AND l.lapsed_at IS NULL
    WHERE e.status IN ('pending', 'assigned') ${only}`);
  const rows = await queryRows<CandidateRow>(em, sql`/* liveEntryFacts */ ${joinSql(parts, ' UNION ALL ')}`);
  return rows.map(toEntryFacts);
}

export interface StuckWork {
  lapsedLeases: number;
  overlongSessions: number;
  overdueCallbacks: number;
}

/* stuckWork: assignments past their lease, sessions past the maximum call length, callbacks past due and their grace. */
export async function stuckWork(em: EntityManager, maxCallSeconds: number, callbackGraceMinutes: number): Promise<StuckWork> {
  const row = await queryOne<{ lapsed: number; sessions: number; callbacks: number }>(em, sql`/* stuckWork */
    SELECT (SELECT count(*) FROM assignment_leases WHERE lapsed_at IS NULL AND expires_at < now())::int AS lapsed,
           (SELECT count(*) FROM call_sessions WHERE status = 'active' AND started_at + make_interval(secs => ${maxCallSeconds}) < now())::int AS sessions,
           (SELECT count(*) FROM callbacks WHERE status = 'pending' AND scheduled_for + make_interval(mins => ${callbackGraceMinutes}) < now())::int AS callbacks`);
  return { lapsedLeases: row!.lapsed, overlongSessions: row!.sessions, overdueCallbacks: row!.callbacks };
}
