import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, queryRows, raw, sql, type Sql } from '../../db/sql.js';
import { QUEUE_TABLE, type QueueStore, type QueueType } from '../queue-type.js';
import { toEntryRecord, type EntryDetails, type EntryRow, type NewEntry, type QueueEntryRecord } from './queue-entry.js';
import { entryColumns } from './queue.sql.js';

/**
 * The writes of one queue entry. Each takes the store (separated tables, or `call_queue`
 * through its views) as data and runs in the caller's transaction; the locking is the caller's
 * (the entry or its claimant is already locked). Dual writing is the database's (migration
 * 0006's mirror triggers), so it also covers writers that bypass the service.
 */

const table = (store: QueueStore, queueType: QueueType) => raw(QUEUE_TABLE[store][queueType]);

async function returning(em: EntityManager, statement: Sql): Promise<QueueEntryRecord> {
  const row = await queryOne<EntryRow>(em, statement);
  if (!row) throw new Error('queue entry write: the statement returned no row');
  return toEntryRecord(row);
}

export async function insertEntry(em: EntityManager, store: QueueStore, n: NewEntry): Promise<QueueEntryRecord> {
  const now = new Date();
  const common = sql`${n.userId}, ${n.claimId}, ${n.priorityScore}, ${n.assignedToAgentId ? 'assigned' : 'pending'},
    ${n.assignedToAgentId ?? null}, ${n.assignedToAgentId ? (n.assignedAt ?? now) : null}, ${n.availableFrom ?? now},
    ${n.callbackId ?? null}, ${n.callbackScheduledFor ?? null}, ${n.callbackReason ?? null}, ${n.enqueuedAt ?? now}`;
  const head = raw(`user_id, claim_id, priority_score, status, assigned_to_agent_id, assigned_at, available_from,
    callback_id, callback_scheduled_for, callback_reason, enqueued_at`);
  if (n.queueType === 'unsigned_users') {
    return returning(em, sql`/* insertUnsignedEntry */ INSERT INTO ${table(store, 'unsigned_users')} AS e (${head},
        signature_missing_since, signature_type, reminders_sent, urgent_signature)
      VALUES (${common}, ${n.signatureMissingSince ?? null}, ${n.signatureType ?? null}, ${n.remindersSent ?? 0}, ${n.urgentSignature ?? false})
      RETURNING ${entryColumns('unsigned_users')}`);
  }
  return returning(em, sql`/* insertOutstandingEntry */ INSERT INTO ${table(store, 'outstanding_requests')} AS e (${head},
      requirement_types, total_requirements, pending_requirements, escalation_level, document_deadline)
    VALUES (${common}, ${n.requirementTypes ?? []}::text[], ${n.totalRequirements ?? 0}, ${n.pendingRequirements ?? 0},
            ${n.escalationLevel ?? 0}, ${n.documentDeadline ?? null})
    RETURNING ${entryColumns('outstanding_requests')}`);
}

/* updateEntryDetails: a callback entry keeps its top priority until the callback is done. */
export async function updateEntryDetails(em: EntityManager, store: QueueStore, entry: QueueEntryRecord, d: EntryDetails): Promise<QueueEntryRecord> {
  const t = entry.queueType;
  const extras = t === 'unsigned_users'
    ? sql`signature_missing_since = ${d.signatureMissingSince ?? null}, signature_type = ${d.signatureType ?? null},
          urgent_signature = ${d.urgentSignature ?? false}`
    : sql`requirement_types = ${d.requirementTypes ?? []}::text[], total_requirements = ${d.totalRequirements ?? 0},
          pending_requirements = ${d.pendingRequirements ?? 0}, escalation_level = ${d.escalationLevel ?? 0},
          document_deadline = ${d.documentDeadline ?? null}`;
  return returning(em, sql`/* updateEntryDetails */ UPDATE ${table(store, t)} e
    SET priority_score = CASE WHEN e.callback_id IS NULL THEN ${d.priorityScore} ELSE e.priority_score END,
        ${extras}, updated_at = now()
    WHERE e.id = ${entry.id} RETURNING ${entryColumns(t)}`);
}

export async function closeEntry(
  em: EntityManager, store: QueueStore, entry: QueueEntryRecord, status: 'completed' | 'removed', reason: string,
): Promise<QueueEntryRecord> {
  return returning(em, sql`/* closeEntry */ UPDATE ${table(store, entry.queueType)} e
    SET status = ${status}, assigned_to_agent_id = CASE WHEN ${status} = 'removed' THEN NULL ELSE e.assigned_to_agent_id END,
        closed_at = now(), closed_reason = ${reason.slice(0, 500)}, updated_at = now()
    WHERE e.id = ${entry.id} RETURNING ${entryColumns(entry.queueType)}`);
}

/* returnToPending: back to pending, available from `availableFrom` (now when null), optionally re-prioritised. */
export async function returnToPending(
  em: EntityManager, store: QueueStore, entry: QueueEntryRecord, availableFrom: Date | null, priorityScore?: number,
): Promise<QueueEntryRecord> {
  return returning(em, sql`/* returnToPending */ UPDATE ${table(store, entry.queueType)} e
    SET status = 'pending', assigned_to_agent_id = NULL, assigned_at = NULL,
        available_from = greatest(now(), coalesce(${availableFrom}::timestamptz, now())),
        priority_score = coalesce(${priorityScore ?? null}::int, e.priority_score), updated_at = now()
    WHERE e.id = ${entry.id} RETURNING ${entryColumns(entry.queueType)}`);
}

/* setEntryCallback: a callback puts its entry at `priorityScore` (the top), available at its time. */
export async function setEntryCallback(
  em: EntityManager, store: QueueStore, entry: QueueEntryRecord,
  callback: { id: number; scheduledFor: Date; reason: string }, priorityScore: number,
): Promise<QueueEntryRecord> {
  return returning(em, sql`/* setEntryCallback */ UPDATE ${table(store, entry.queueType)} e
    SET callback_id = ${callback.id}, callback_scheduled_for = ${callback.scheduledFor}, callback_reason = ${callback.reason},
        available_from = ${callback.scheduledFor}, priority_score = ${priorityScore}, updated_at = now()
    WHERE e.id = ${entry.id} RETURNING ${entryColumns(entry.queueType)}`);
}

/* clearEntryCallback: back to `priorityScore`, available now or later as it was. */
export async function clearEntryCallback(
  em: EntityManager, store: QueueStore, entry: QueueEntryRecord, priorityScore: number,
): Promise<QueueEntryRecord> {
  return returning(em, sql`/* clearEntryCallback */ UPDATE ${table(store, entry.queueType)} e
    SET callback_id = NULL, callback_scheduled_for = NULL, callback_reason = NULL,
        available_from = least(e.available_from, now()), priority_score = ${priorityScore}, updated_at = now()
    WHERE e.id = ${entry.id} RETURNING ${entryColumns(entry.queueType)}`);
}

/*
 * The callbacks row an entry carries follows it: ended when the entry leaves (or the call is
 * made, or the job finds it missed), moved when the entry changes queue. They sit here because
 * the entry's writes need them and callback/ builds on queue/.
 */

/* closeCallback: a pending callback ends (completed, cancelled or missed); null if it was not pending. */
export async function closeCallback(em: EntityManager, id: number, status: 'completed' | 'cancelled' | 'missed'): Promise<Record<string, unknown> | null> {
  return (await queryOne<Record<string, unknown>>(em, sql`/* closeCallback */
    UPDATE callbacks SET status = ${status}, closed_at = now(), updated_at = now()
     WHERE id = ${id} AND status = 'pending' RETURNING *`)) ?? null;
}

/* moveCallback: the callback follows its entry into the other queue. */
export async function moveCallback(em: EntityManager, id: number, to: QueueType): Promise<void> {
  await queryRows(em, sql`/* moveCallback */ UPDATE callbacks SET queue_type = ${to}, updated_at = now() WHERE id = ${id}`);
}

/* recordTransition: every move into, between and out of the queues leaves a row. */
export async function recordTransition(
  op: { em: EntityManager; actor: string }, userId: number, from: QueueType | null, to: QueueType | null, reason: string,
): Promise<void> {
  await queryRows(op.em, sql`/* recordTransition */ INSERT INTO queue_transitions (user_id, from_queue, to_queue, reason, actor)
    VALUES (${userId}, ${from}, ${to}, ${reason.slice(0, 500)}, ${op.actor})`);
}
