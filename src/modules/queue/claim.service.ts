import type { Operation } from '../operation.js';
import type { QueueEntryRecord } from './queue-entry.js';
import type { QueueType } from '../queue-type.js';
import { claim, lockAssigned, release } from './claim.sql.js';

/**
 * assignNextUser: one statement, the database's callqueue_claim (migration 0018). The agent row
 * is locked first (so one agent's parallel claims cannot both pass the "at most N assigned"
 * check); then the best pending entry is locked with SKIP LOCKED, checked against live facts
 * (the policy of eligibility.ts, in SQL), and assigned — or removed / deferred, and the next
 * one is tried, up to CLAIM_MAX_CHECKS. Parallel agents never see the same row.
 */
export async function assignNextUser(op: Operation, agentId: number, queueType: QueueType): Promise<QueueEntryRecord | null> {
  return claim(op.em, agentId, queueType, op.actor, op.settings);
}

/**
 * The assigned entry `entryId`, locked; refused unless `agentId` (when given) holds it. An agent
 * whose lease lapsed is told so (its outcome comes too late: the entry went back to the queue).
 */
export async function lockAssignedEntry(op: Operation, entryId: number, agentId: number | null): Promise<QueueEntryRecord> {
  return lockAssigned(op.em, entryId, agentId);
}

/** releaseEntry: one statement, the database's callqueue_release (the lock and its refusals as lockAssignedEntry's). */
export async function releaseEntry(op: Operation, entryId: number, agentId: number | null): Promise<QueueEntryRecord> {
  return release(op.em, entryId, agentId);
}
