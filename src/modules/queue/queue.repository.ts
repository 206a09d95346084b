import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, queryRows, raw, sql, toDate } from '../../db/sql.js';
import { toEntryRecord, type EntryRow, type QueueEntryRecord } from './queue-entry.js';
import { entriesByIds, entryColumns, liveEntriesByUsers, selectEntry } from './queue.sql.js';
import { QUEUE_TABLE, QUEUE_TYPES, type QueueStore, type QueueType } from './queue-type.js';
import { rebuildQueue, type QueueRebuild } from '../repopulation/repopulate.sql.js';

/**
 * Every read and write of queue entries goes through this interface, so the legacy migration
 * can put the legacy implementation behind it. This file implements it for both stores: the
 * separated tables, and the legacy `call_queue` through views of the same shape (migration
 * 0006) — the same statements serve both. Dual writing is not done here but by the database
 * (0006's mirror triggers), so it also covers writers that bypass the service. All methods run
 * in the caller's transaction (the `em` passed in).
 */
export interface EntryDetails {
  priorityScore: number;
  signatureMissingSince?: Date | null;
  signatureType?: string | null;
  urgentSignature?: boolean;
  requirementTypes?: string[];
  totalRequirements?: number;
  pendingRequirements?: number;
  escalationLevel?: number;
  documentDeadline?: Date | null;
}

export interface NewEntry extends EntryDetails {
  queueType: QueueType;
  userId: number;
  claimId: string;
  enqueuedAt?: Date;
  availableFrom?: Date;
  /** Carried over by a transition: an assigned entry stays with its agent. */
  assignedToAgentId?: number | null;
  assignedAt?: Date | null;
  callbackId?: number | null;
  callbackScheduledFor?: Date | null;
  callbackReason?: string | null;
  remindersSent?: number;
}

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
}

/**
 * How the claim locks its candidate: `skip` passes over rows other transactions hold (parallel
 * claims never wait for each other); `wait` queues behind them — for when every candidate is
 * held, typically by a repopulation applying its changes, so that a claim waits for the new
 * queue rather than reporting an empty one.
 */
export type ClaimLock = 'skip' | 'wait';

export interface QueueRepository {
  liveEntry(em: EntityManager, userId: number, lock: boolean): Promise<QueueEntryRecord | null>;
  entryById(em: EntityManager, id: number, lock: boolean): Promise<QueueEntryRecord | null>;
  insert(em: EntityManager, entry: NewEntry): Promise<QueueEntryRecord>;
  updateDetails(em: EntityManager, entry: QueueEntryRecord, details: EntryDetails): Promise<QueueEntryRecord>;
  close(em: EntityManager, entry: QueueEntryRecord, status: 'completed' | 'removed', reason: string): Promise<QueueEntryRecord>;
  /** Back to pending, available from `availableFrom` (now when null), optionally re-prioritised. */
  release(em: EntityManager, entry: QueueEntryRecord, availableFrom: Date | null, priorityScore?: number): Promise<QueueEntryRecord>;
  defer(em: EntityManager, entry: QueueEntryRecord, until: Date): Promise<QueueEntryRecord>;
  assign(em: EntityManager, entry: QueueEntryRecord, agentId: number): Promise<QueueEntryRecord>;
  /** Locks the agent row, serialising its claims; null when the agent is unknown. */
  lockAgent(em: EntityManager, agentId: number): Promise<{ isActive: boolean } | null>;
  /**
   * Locks the best claimable pending entry of a queue for this agent, with its facts, and
   * counts the entries the agent holds. Called after lockAgent: as a statement of its own it
   * reads a snapshot taken after the lock (a statement that waited for a lock under READ
   * COMMITTED would still read the snapshot from before the wait, and miss the entry the
   * previous holder just assigned).
   */
  claimCandidate(em: EntityManager, queueType: QueueType, agentId: number, preferredAgentGraceMinutes: number,
    lock?: ClaimLock): Promise<{ held: number; candidate: ClaimCandidate | null }>;
  /** Repopulation: rebuilds one queue from the scores, set-based (see repopulate.sql.ts). */
  rebuild(em: EntityManager, queueType: QueueType, options: { topN: number; actor: string; dryRun: boolean }): Promise<QueueRebuild>;
  /**
   * Puts a callback on a live entry (top priority, available at its time) or takes it off
   * (back to `priorityScore`, available now or later as it was).
   */
  setCallback(em: EntityManager, entry: QueueEntryRecord, callback: { id: number; scheduledFor: Date; reason: string } | null,
    priorityScore: number): Promise<QueueEntryRecord>;
}

type Row = EntryRow & Record<string, unknown>;
const one = async (em: EntityManager, statement: ReturnType<typeof sql>) => {
  const row = await queryOne<Row>(em, statement);
  if (!row) throw new Error('queue repository: the statement returned no row');
  return toEntryRecord(row);
};

function tableQueueRepository(store: QueueStore): QueueRepository {
  const table = (t: QueueType) => raw(QUEUE_TABLE[store][t]);
  return {
    async liveEntry(em, userId, lock) {
      if (!lock) return (await liveEntriesByUsers(em, store, [userId])).map(toEntryRecord)[0] ?? null;
      // FOR UPDATE cannot lock through a UNION: each table in turn (the entry is in one at most).
      for (const t of QUEUE_TYPES) {
        const row = await queryOne<Row>(em, sql`${selectEntry(store, t)}
          WHERE e.user_id = ${userId} AND e.status IN ('pending', 'assigned') ${raw(lock ? 'FOR UPDATE' : '')}`);
        if (row) return toEntryRecord(row);
      }
      return null;
    },

    async entryById(em, id, lock) {
      if (!lock) return (await entriesByIds(em, store, [id])).map(toEntryRecord)[0] ?? null;
      for (const t of QUEUE_TYPES) {
        const row = await queryOne<Row>(em, sql`${selectEntry(store, t)} WHERE e.id = ${id} ${raw(lock ? 'FOR UPDATE' : '')}`);
        if (row) return toEntryRecord(row);
      }
      return null;
    },

    async insert(em, n) {
      const now = new Date();
      const common = sql`${n.userId}, ${n.claimId}, ${n.priorityScore}, ${n.assignedToAgentId ? 'assigned' : 'pending'},
        ${n.assignedToAgentId ?? null}, ${n.assignedToAgentId ? (n.assignedAt ?? now) : null}, ${n.availableFrom ?? now},
        ${n.callbackId ?? null}, ${n.callbackScheduledFor ?? null}, ${n.callbackReason ?? null}, ${n.enqueuedAt ?? now}`;
      const head = raw(`user_id, claim_id, priority_score, status, assigned_to_agent_id, assigned_at, available_from,
        callback_id, callback_scheduled_for, callback_reason, enqueued_at`);
      if (n.queueType === 'unsigned_users') {
        return one(em, sql`/* insertUnsignedEntry */ INSERT INTO ${table('unsigned_users')} AS e (${head},
            signature_missing_since, signature_type, reminders_sent, urgent_signature)
          VALUES (${common}, ${n.signatureMissingSince ?? null}, ${n.signatureType ?? null}, ${n.remindersSent ?? 0}, ${n.urgentSignature ?? false})
          RETURNING ${entryColumns('unsigned_users')}`);
      }
      return one(em, sql`/* insertOutstandingEntry */ INSERT INTO ${table('outstanding_requests')} AS e (${head},
          requirement_types, total_requirements, pending_requirements, escalation_level, document_deadline)
        VALUES (${common}, ${n.requirementTypes ?? []}::text[], ${n.totalRequirements ?? 0}, ${n.pendingRequirements ?? 0},
                ${n.escalationLevel ?? 0}, ${n.documentDeadline ?? null})
        RETURNING ${entryColumns('outstanding_requests')}`);
    },

    async updateDetails(em, entry, d) {
      const t = entry.queueType;
      const extras = t === 'unsigned_users'
        ? sql`signature_missing_since = ${d.signatureMissingSince ?? null}, signature_type = ${d.signatureType ?? null},
              urgent_signature = ${d.urgentSignature ?? false}`
        : sql`requirement_types = ${d.requirementTypes ?? []}::text[], total_requirements = ${d.totalRequirements ?? 0},
              pending_requirements = ${d.pendingRequirements ?? 0}, escalation_level = ${d.escalationLevel ?? 0},
              document_deadline = ${d.documentDeadline ?? null}`;
      // A callback entry keeps its top priority until the callback is done.
      return one(em, sql`/* updateEntryDetails */ UPDATE ${table(t)} e
        SET priority_score = CASE WHEN e.callback_id IS NULL THEN ${d.priorityScore} ELSE e.priority_score END,
            ${extras}, updated_at = now()
        WHERE e.id = ${entry.id} RETURNING ${entryColumns(t)}`);
    },

    async close(em, entry, status, reason) {
      return one(em, sql`/* closeEntry */ UPDATE ${table(entry.queueType)} e
        SET status = ${status}, assigned_to_agent_id = CASE WHEN ${status} = 'removed' THEN NULL ELSE e.assigned_to_agent_id END,
            closed_at = now(), closed_reason = ${reason.slice(0, 500)}, updated_at = now()
        WHERE e.id = ${entry.id} RETURNING ${entryColumns(entry.queueType)}`);
    },

    async release(em, entry, availableFrom, priorityScore) {
      return one(em, sql`/* releaseEntry */ UPDATE ${table(entry.queueType)} e
        SET status = 'pending', assigned_to_agent_id = NULL, assigned_at = NULL,
            available_from = greatest(now(), coalesce(${availableFrom}::timestamptz, now())),
            priority_score = coalesce(${priorityScore ?? null}::int, e.priority_score), updated_at = now()
        WHERE e.id = ${entry.id} RETURNING ${entryColumns(entry.queueType)}`);
    },

    async defer(em, entry, until) {
      return one(em, sql`/* deferEntry */ UPDATE ${table(entry.queueType)} e SET available_from = ${until}, updated_at = now()
        WHERE e.id = ${entry.id} RETURNING ${entryColumns(entry.queueType)}`);
    },

    async assign(em, entry, agentId) {
      return one(em, sql`/* assignEntry */ UPDATE ${table(entry.queueType)} e
        SET status = 'assigned', assigned_to_agent_id = ${agentId}, assigned_at = now(), updated_at = now()
        WHERE e.id = ${entry.id} RETURNING ${entryColumns(entry.queueType)}`);
    },

    async rebuild(em, queueType, { topN, actor, dryRun }) {
      return rebuildQueue(em, store, queueType, topN, actor, dryRun);
    },

    async setCallback(em, entry, callback, priorityScore) {
      const t = entry.queueType;
      if (callback) {
        return one(em, sql`/* setEntryCallback */ UPDATE ${table(t)} e
          SET callback_id = ${callback.id}, callback_scheduled_for = ${callback.scheduledFor}, callback_reason = ${callback.reason},
              available_from = ${callback.scheduledFor}, priority_score = ${priorityScore}, updated_at = now()
          WHERE e.id = ${entry.id} RETURNING ${entryColumns(t)}`);
      }
      return one(em, sql`/* clearEntryCallback */ UPDATE ${table(t)} e
        SET callback_id = NULL, callback_scheduled_for = NULL, callback_reason = NULL,
            available_from = least(e.available_from, now()), priority_score = ${priorityScore}, updated_at = now()
        WHERE e.id = ${entry.id} RETURNING ${entryColumns(t)}`);
    },

    async lockAgent(em, agentId) {
      const agent = await queryOne<{ is_active: boolean }>(em, sql`/* lockAgent */
        SELECT is_active FROM agents WHERE id = ${agentId} FOR UPDATE`);
      return agent ? { isActive: agent.is_active } : null;
    },

    /*
     * claimCandidate: the head of the claim index, locked with SKIP LOCKED so parallel claims
     * never wait for each other nor take the same entry, joined to the facts its checks read.
     * Entries whose claimant is on a call, or whose callback belongs to another agent until its
     * grace passes, are filtered before locking: they are not this agent's to take.
     */
    async claimCandidate(em, queueType, agentId, graceMinutes, lock = 'skip') {
      const rows = await queryRows<Row>(em, sql`/* claimCandidate */
        SELECT ((SELECT count(*) FROM ${table('unsigned_users')} WHERE assigned_to_agent_id = ${agentId} AND status = 'assigned') +
                (SELECT count(*) FROM ${table('outstanding_requests')} WHERE assigned_to_agent_id = ${agentId} AND status = 'assigned'))::int AS held,
               cand.*
          FROM (SELECT 1) one
          LEFT JOIN LATERAL (
            SELECT ${entryColumns(queueType)}, c.timezone, c.do_not_call, c.converted_at IS NOT NULL AS converted,
                   c.signature_status = 'obtained' AS signature_obtained,
                   coalesce(s.is_active, false) AS score_active, s.next_call_after,
                   CASE WHEN s.last_reset_date = (now() AT TIME ZONE 'UTC')::date THEN s.attempts_today ELSE 0 END AS attempts_today,
                   EXISTS (SELECT 1 FROM claim_requirements r WHERE r.user_id = e.user_id AND r.status = 'pending') AS has_pending_requirement
              FROM (SELECT * FROM ${table(queueType)} q
                     WHERE q.status = 'pending' AND q.available_from <= now()
                       AND NOT EXISTS (SELECT 1 FROM call_sessions cs WHERE cs.user_id = q.user_id AND cs.status = 'active')
                       AND (q.callback_id IS NULL OR NOT EXISTS (
                             SELECT 1 FROM callbacks cb WHERE cb.id = q.callback_id AND cb.agent_id IS NOT NULL
                                AND cb.agent_id <> ${agentId} AND cb.scheduled_for + make_interval(mins => ${graceMinutes}) > now()))
                     ORDER BY q.priority_score DESC, q.available_from, q.id
                     LIMIT 1
                     FOR UPDATE ${raw(lock === 'skip' ? 'SKIP LOCKED' : '')}) e
              JOIN claimants c ON c.user_id = e.user_id
              LEFT JOIN user_call_scores s ON s.user_id = e.user_id) cand ON true`);
      const row = rows[0]!;
      if (row.id === null) return { held: row.held as number, candidate: null };
      return {
        held: row.held as number,
        candidate: {
          entry: toEntryRecord(row),
          timezone: row.timezone as string,
          doNotCall: row.do_not_call as boolean,
          converted: row.converted as boolean,
          signatureObtained: row.signature_obtained as boolean,
          scoreActive: row.score_active as boolean,
          nextCallAfter: toDate(row.next_call_after as string | null),
          attemptsToday: row.attempts_today as number,
          hasPendingRequirement: row.has_pending_requirement as boolean,
        },
      };
    },
  };
}

/** One repository per store; the migration phase picks one (modules/migration/phases.ts). */
export const queueRepositories: Readonly<Record<QueueStore, QueueRepository>> = {
  separated: tableQueueRepository('separated'),
  legacy: tableQueueRepository('legacy'),
};
