import { closeCallback, moveCallback } from '../callback/callback.sql.js';
import { loadFacts, entryDetailsFor, type ClaimantFacts } from '../claimant/facts.js';
import { badInput, conflict, notFound } from '../errors.js';
import { inTransaction, publishEntry, recordTransition, type Operation } from '../operation.js';
import { syncScore } from '../score/score.sql.js';
import { SCORE_MAX, SCORE_MIN } from '../score/score-policy.js';
import type { QueueEntryRecord } from './queue-entry.js';
import type { QueueType } from './queue-type.js';

/** Enqueue, remove, transition, refresh: the writes that place claimants in the queues. */

export function requireReason(reason: string | null | undefined, what = 'reason'): string {
  const text = (reason ?? '').trim();
  if (text.length === 0 || text.length > 500) throw badInput(`${what} must be 1–500 characters`);
  return text;
}

export async function lockedFacts(op: Operation, userId: number): Promise<ClaimantFacts> {
  const facts = await loadFacts(op.em, userId, true);
  if (!facts) throw notFound(`claimant ${userId} does not exist`);
  return facts;
}

export function refuseConverted(facts: ClaimantFacts): void {
  if (facts.claimant.convertedAt) {
    throw conflict(`claimant ${facts.claimant.userId} converted on ${facts.claimant.convertedAt.toISOString()}; it is in no queue any more`);
  }
}

export async function enqueueUser(
  op: Operation, input: { userId: number; queueType: QueueType; priorityScore?: number | null },
): Promise<QueueEntryRecord> {
  const { userId, queueType } = input;
  const override = input.priorityScore ?? null;
  if (override !== null && (!Number.isInteger(override) || override < SCORE_MIN || override > SCORE_MAX)) {
    throw badInput(`priorityScore must be an integer from ${SCORE_MIN} to ${SCORE_MAX}, got ${override}`);
  }
  return inTransaction(op, async (tx) => {
    const facts = await lockedFacts(tx, userId);
    refuseConverted(facts);
    if (facts.claimant.doNotCall) throw conflict(`claimant ${userId} is marked do-not-call`);
    if (queueType === 'unsigned_users' && facts.claimant.signatureStatus === 'obtained') {
      throw conflict(`claimant ${userId} has signed; the unsigned users queue is for claimants who still have to sign`);
    }
    if (queueType === 'outstanding_requests' && facts.requirements.pending === 0) {
      throw conflict(`claimant ${userId} owes no document; the outstanding requests queue needs a pending requirement`);
    }
    const live = await tx.queues.liveEntry(tx.em, userId, true);
    if (live && live.queueType !== queueType) {
      throw conflict(`claimant ${userId} already has a live entry in ${live.queueType}; use transitionUser to move it`, { entryId: String(live.id) });
    }
    const now = new Date();
    const details = entryDetailsFor(queueType, facts, live?.enqueuedAt ?? null, now);
    await syncScore(tx, userId, queueType, details.priorityScore);
    if (override !== null) details.priorityScore = override;
    if (live) {
      const updated = await tx.queues.updateDetails(tx.em, live, details);
      await publishEntry(tx, 'ENTRY_UPDATED', updated);
      return updated;
    }
    const entry = await tx.queues.insert(tx.em, { queueType, userId, claimId: facts.claimant.claimId, ...details });
    await recordTransition(tx, userId, null, queueType, 'enqueued');
    await publishEntry(tx, 'ENTRY_ADDED', entry);
    return entry;
  });
}

/**
 * An entry leaves the live queue (completed or removed): closed with its reason, the move
 * recorded in queue_transitions (unless the caller records its own, as a conversion does),
 * and ENTRY_REMOVED published.
 */
export async function takeOutOfQueue(
  op: Operation, entry: QueueEntryRecord, status: 'completed' | 'removed', closedReason: string, transitionReason: string | null,
): Promise<QueueEntryRecord> {
  const closed = await op.queues.close(op.em, entry, status, closedReason);
  // A callback promised on this entry cannot be kept once the entry is gone.
  if (entry.callbackId !== null) await closeCallback(op.em, entry.callbackId, 'cancelled');
  if (transitionReason !== null) await recordTransition(op, entry.userId, entry.queueType, null, transitionReason);
  await publishEntry(op, 'ENTRY_REMOVED', closed);
  return closed;
}

export async function removeFromQueue(op: Operation, userId: number, reasonText: string): Promise<QueueEntryRecord> {
  const reason = requireReason(reasonText);
  return inTransaction(op, async (tx) => {
    await lockedFacts(tx, userId);
    const live = await tx.queues.liveEntry(tx.em, userId, true);
    if (!live) throw notFound(`claimant ${userId} has no live entry in any queue`);
    return takeOutOfQueue(tx, live, 'removed', reason, reason);
  });
}

/**
 * Moves a live entry to the other queue in the same transaction: the old entry is removed,
 * the new one keeps enqueued_at, availability, callback and assignment (an agent on the call
 * keeps working on the claimant).
 */
export async function moveEntry(op: Operation, facts: ClaimantFacts, live: QueueEntryRecord, to: QueueType, reason: string): Promise<QueueEntryRecord> {
  await op.queues.close(op.em, live, 'removed', `transitioned to ${to}: ${reason}`);
  const details = entryDetailsFor(to, facts, live.enqueuedAt, new Date());
  const moved = await op.queues.insert(op.em, {
    queueType: to, userId: live.userId, claimId: live.claimId, ...details,
    priorityScore: live.callbackId ? live.priorityScore : details.priorityScore,
    enqueuedAt: live.enqueuedAt, availableFrom: live.availableFrom,
    assignedToAgentId: live.status === 'assigned' ? live.assignedToAgentId : null, assignedAt: live.assignedAt,
    callbackId: live.callbackId, callbackScheduledFor: live.callbackScheduledFor, callbackReason: live.callbackReason,
  });
  await syncScore(op, live.userId, to, details.priorityScore);
  if (live.callbackId !== null) await moveCallback(op.em, live.callbackId, to);
  await recordTransition(op, live.userId, live.queueType, to, reason);
  await publishEntry(op, 'ENTRY_TRANSITIONED', moved);
  return moved;
}

export async function transitionUser(op: Operation, userId: number, to: QueueType, reasonText: string): Promise<QueueEntryRecord> {
  const reason = requireReason(reasonText);
  return inTransaction(op, async (tx) => {
    const facts = await lockedFacts(tx, userId);
    refuseConverted(facts);
    const live = await tx.queues.liveEntry(tx.em, userId, true);
    if (!live) throw notFound(`claimant ${userId} has no live entry to move; use enqueueUser`);
    if (live.queueType === to) throw conflict(`claimant ${userId} is already in ${to}`);
    return moveEntry(tx, facts, live, to, reason);
  });
}

/** After a fact changed: the live entry's derived columns and priority follow. */
export async function refreshLiveEntry(op: Operation, facts: ClaimantFacts): Promise<QueueEntryRecord | null> {
  const live = await op.queues.liveEntry(op.em, facts.claimant.userId, true);
  if (!live) return null;
  const details = entryDetailsFor(live.queueType, facts, live.enqueuedAt, new Date());
  const updated = await op.queues.updateDetails(op.em, live, details);
  await syncScore(op, live.userId, live.queueType, details.priorityScore);
  await publishEntry(op, 'ENTRY_UPDATED', updated);
  return updated;
}
