import { conflict, notFound } from '../errors.js';
import { phaseTransaction, publishEntry, type Operation } from '../operation.js';
import { checkEligibility } from './eligibility.js';
import type { QueueEntryRecord } from './queue-entry.js';
import { takeOutOfQueue } from './queue-writes.service.js';
import type { QueueType } from '../queue-type.js';
import { claimCandidate, lockAgent } from './claim.sql.js';
import { assignEntry, deferEntry, returnToPending } from './entry-writes.sql.js';
import { lapsedLeaseOf } from './leases.sql.js';
import { entryById } from './queue.sql.js';

/**
 * assignNextUser: one transaction. The agent row is locked first (so one agent's parallel
 * claims cannot both pass the "at most N assigned" check); then the best pending entry is
 * locked with SKIP LOCKED, checked against live facts, and assigned — or removed / deferred,
 * and the next one is tried, up to CLAIM_MAX_CHECKS. Parallel agents never see the same row.
 */
export async function assignNextUser(op: Operation, agentId: number, queueType: QueueType): Promise<QueueEntryRecord | null> {
  return phaseTransaction(op, async (tx) => {
    const agent = await lockAgent(tx.em, agentId);
    if (!agent) throw notFound(`agent ${agentId} does not exist`);
    if (!agent.isActive) throw conflict(`agent ${agentId} is not active`);
    for (let checks = 0; checks < tx.settings.claimMaxChecks; checks += 1) {
      const { held, candidate } = await nextCandidate(tx, queueType, agentId);
      if (held >= tx.settings.maxAssignedPerAgent) {
        // Throwing rolls back: the candidate locked with this statement is let go untouched.
        throw conflict(`agent ${agentId} already holds ${held} assigned entr${held === 1 ? 'y' : 'ies'} ` +
          `(at most ${tx.settings.maxAssignedPerAgent}); record an outcome or release it first`);
      }
      if (!candidate) return null;
      const now = new Date();
      const verdict = checkEligibility({ ...candidate, queueType }, now, {
        window: tx.settings.window, dailyAttemptCap: tx.settings.dailyAttemptCap,
      });
      if (verdict.kind === 'assign') {
        const assigned = await assignEntry(tx.em, tx.store, candidate.entry, agentId, tx.settings.leaseSeconds);
        await publishEntry(tx, 'ENTRY_ASSIGNED', assigned);
        return assigned;
      }
      if (verdict.kind === 'remove') {
        await takeOutOfQueue(tx, candidate.entry, 'removed', verdict.reason, `claim check: ${verdict.reason}`);
      } else {
        const deferred = await deferEntry(tx.em, tx.store, candidate.entry, verdict.until);
        await publishEntry(tx, 'ENTRY_UPDATED', deferred);
      }
    }
    return null;
  });
}

/**
 * The best candidate, passing over rows other transactions hold. When that finds none, the
 * rows may all be held — a repopulation applying its changes locks every entry it touches —
 * so the claim waits its turn on them once, then looks again with a fresh snapshot (which sees
 * the entries the repopulation added). An empty queue costs three cheap statements.
 */
async function nextCandidate(tx: Operation, queueType: QueueType, agentId: number) {
  const grace = tx.settings.preferredAgentGraceMinutes;
  const skipping = await claimCandidate(tx.em, tx.store, queueType, agentId, grace, 'skip');
  if (skipping.candidate || skipping.held >= tx.settings.maxAssignedPerAgent) return skipping;
  const waiting = await claimCandidate(tx.em, tx.store, queueType, agentId, grace, 'wait');
  if (waiting.candidate) return waiting;
  return claimCandidate(tx.em, tx.store, queueType, agentId, grace, 'skip');
}

/**
 * The assigned entry `entryId`, locked; refused unless `agentId` (when given) holds it. An agent
 * whose lease lapsed is told so (its outcome comes too late: the entry went back to the queue).
 */
export async function lockAssignedEntry(op: Operation, entryId: number, agentId: number | null): Promise<QueueEntryRecord> {
  const entry = await entryById(op.em, op.store, entryId, true);
  if (!entry) throw notFound(`queue entry ${entryId} does not exist`);
  const held = entry.status === 'assigned' && (agentId === null || entry.assignedToAgentId === agentId);
  const lapsed = !held && agentId !== null ? await lapsedLeaseOf(op.em, entryId, agentId) : null;
  if (lapsed) {
    throw conflict(`agent ${agentId}'s assignment of queue entry ${entryId} lapsed at ${lapsed.expiresAt.toISOString()} ` +
      `(not renewed within ASSIGNMENT_LEASE_SECONDS) and the entry went back to its queue; claim again`, { leaseExpiredAt: lapsed.expiresAt.toISOString() });
  }
  if (entry.status !== 'assigned') throw conflict(`queue entry ${entryId} is ${entry.status}, not assigned`);
  if (agentId !== null && entry.assignedToAgentId !== agentId) {
    throw conflict(`queue entry ${entryId} is assigned to agent ${entry.assignedToAgentId}, not to agent ${agentId}`);
  }
  return entry;
}

export async function releaseEntry(op: Operation, entryId: number, agentId: number | null): Promise<QueueEntryRecord> {
  return phaseTransaction(op, async (tx) => {
    const entry = await lockAssignedEntry(tx, entryId, agentId);
    const released = await returnToPending(tx.em, tx.store, entry, null);
    await publishEntry(tx, 'ENTRY_RELEASED', released);
    return released;
  });
}
