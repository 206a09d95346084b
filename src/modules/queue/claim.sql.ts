import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, raw, sql, toDate } from '../../db/sql.js';
import { writeThenNotify } from '../events/held-events.sql.js';
import type { QueueSettings } from '../operation.js';
import type { QueueType } from '../queue-type.js';
import { entryFromImage, toEntryRecord, type EntryRow, type QueueEntryRecord } from './queue-entry.js';

/** A pending entry with the facts its claim checks read. */
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

export type CandidateRow = EntryRow & Record<string, unknown>;

/**
 * The facts a claim checks, over an entry `e`: the database's callqueue_candidate_facts, which
 * the claim itself reads (migration 0018), so the claim and the diagnostics cannot differ.
 */
export const CANDIDATE_FACTS = raw('f.*');
export const CANDIDATE_JOINS = raw('CROSS JOIN LATERAL callqueue_candidate_facts(e.user_id, e.callback_id, now()) f');

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
 * claim: the database's callqueue_claim (migration 0018) — lock, pick, live checks, defers and
 * removals, assignment, lease, transitions and events — in one statement, its notifications sent
 * after its commit (a second); the assigned entry, or null when none can be claimed.
 */
export async function claim(
  em: EntityManager, agentId: number, queueType: QueueType, actor: string, settings: QueueSettings,
): Promise<QueueEntryRecord | null> {
  const entry = await writeThenNotify<Record<string, unknown> | null>(em, sql`/* claim */
    callqueue_claim(${agentId}, ${queueType}, ${actor}, ${settings.maxAssignedPerAgent}, ${settings.claimMaxChecks},
      ${settings.preferredAgentGraceMinutes}, ${settings.leaseSeconds}, ${settings.window.startMinute}, ${settings.window.endMinute},
      ${settings.dailyAttemptCap})`);
  return entry ? entryFromImage(entry) : null;
}

/* lockAssignedEntry: the database's callqueue_lock_assigned_entry (migration 0018), its refusals included. */
export async function lockAssigned(em: EntityManager, entryId: number, agentId: number | null): Promise<QueueEntryRecord> {
  const row = await queryOne<{ entry: Record<string, unknown> }>(em, sql`/* lockAssignedEntry */
    SELECT callqueue_lock_assigned_entry(${entryId}, ${agentId}::bigint) AS entry`);
  return entryFromImage(row!.entry);
}

/* release: the database's callqueue_release (migration 0018) — the lock, its refusals, the release and its event (notified after the commit). */
export async function release(em: EntityManager, entryId: number, agentId: number | null): Promise<QueueEntryRecord> {
  return entryFromImage(await writeThenNotify<Record<string, unknown>>(em, sql`/* release */
    callqueue_release(${entryId}, ${agentId}::bigint)`));
}
