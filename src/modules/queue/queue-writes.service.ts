import { badInput, conflict, notFound, requireReason } from '../errors.js';
import { refuseConverted, type ClaimantFacts } from '../facts.js';
import { lockedFacts } from '../facts.sql.js';
import { phaseTransaction, publishEntry, type Operation } from '../operation.js';
import type { QueueType } from '../queue-type.js';
import { syncScore } from '../score/score.sql.js';
import { SCORE_MAX, SCORE_MIN } from '../score/score-policy.js';
import { entryDetailsFor } from './entry-details.js';
import { closeCallback, closeEntry, insertEntry, moveCallback, recordTransition, updateEntryDetails } from './entry-writes.sql.js';
import type { QueueEntryRecord } from './queue-entry.js';
import { liveEntry } from './queue.sql.js';

/** Enqueue, remove, transition, refresh: the writes that place claimants in the queues. */

export async function enqueueUser(
  op: Operation, input: { userId: number; queueType: QueueType; priorityScore?: number | null },
): Promise<QueueEntryRecord> {
  const { userId, queueType } = input;
  const override = input.priorityScore ?? null;
  if (override !== null && (!Number.isInteger(override) || override < SCORE_MIN || override > SCORE_MAX)) {
    throw badInput(`priorityScore must be an integer from ${SCORE_MIN} to ${SCORE_MAX}, got ${override}`);
  }
  return phaseTransaction(op, async (tx) => {
    const facts = await lockedFacts(tx, userId);
    refuseConverted(facts);
    if (facts.claimant.doNotCall) throw conflict(`claimant ${userId} is marked do-not-call`);
    if (queueType === 'unsigned_users' && facts.claimant.signatureStatus === 'obtained') {
      throw conflict(`claimant ${userId} has signed; the unsigned users queue is for claimants who still have to sign`);
    }
    if (queueType === 'outstanding_requests' && facts.requirements.pending === 0) {
      throw conflict(`claimant ${userId} owes no document; the outstanding requests queue needs a pending requirement`);
    }
    const live = await liveEntry(tx.em, tx.store, userId, true);
    if (live && live.queueType !== queueType) {
      throw conflict(`claimant ${userId} already has a live entry in ${live.queueType}; use transitionUser to move it`, { entryId: String(live.id) });
    }
    const now = new Date();
    const details = entryDetailsFor(queueType, facts, live?.enqueuedAt ?? null, now);
    await syncScore(tx, userId, queueType, details.priorityScore, now, override);
    if (override !== null) details.priorityScore = override;
    if (live) {
      const updated = await updateEntryDetails(tx.em, tx.store, live, details);
      await publishEntry(tx, 'ENTRY_UPDATED', updated);
      return updated;
    }
    const entry = await insertEntry(tx.em, tx.store, { queueType, userId, claimId: facts.claimant.claimId, ...details });
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
  const closed = await closeEntry(op.em, op.store, entry, status, closedReason);
  // A callback promised on this entry cannot be kept once the entry is gone.
  if (entry.callbackId !== null) await closeCallback(op.em, entry.callbackId, 'cancelled');
  if (transitionReason !== null) await recordTransition(op, entry.userId, entry.queueType, null, transitionReason);
  await publishEntry(op, 'ENTRY_REMOVED', closed);
  return closed;
}

export async function removeFromQueue(op: Operation, userId: number, reasonText: string): Promise<QueueEntryRecord> {
  const reason = requireReason(reasonText);
  return phaseTransaction(op, async (tx) => {
    await lockedFacts(tx, userId);
    const live = await liveEntry(tx.em, tx.store, userId, true);
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
  await closeEntry(op.em, op.store, live, 'removed', `transitioned to ${to}: ${reason}`);
  const now = new Date();
  const details = entryDetailsFor(to, facts, live.enqueuedAt, now);
  const moved = await insertEntry(op.em, op.store, {
    queueType: to, userId: live.userId, claimId: live.claimId, ...details,
    priorityScore: live.callbackId ? live.priorityScore : details.priorityScore,
    enqueuedAt: live.enqueuedAt, availableFrom: live.availableFrom,
    assignedToAgentId: live.status === 'assigned' ? live.assignedToAgentId : null, assignedAt: live.assignedAt,
    callbackId: live.callbackId, callbackScheduledFor: live.callbackScheduledFor, callbackReason: live.callbackReason,
  });
  await syncScore(op, live.userId, to, details.priorityScore, now);
  if (live.callbackId !== null) await moveCallback(op.em, live.callbackId, to);
  await recordTransition(op, live.userId, live.queueType, to, reason);
  await publishEntry(op, 'ENTRY_TRANSITIONED', moved);
  return moved;
}

export async function transitionUser(op: Operation, userId: number, to: QueueType, reasonText: string): Promise<QueueEntryRecord> {
  const reason = requireReason(reasonText);
  return phaseTransaction(op, async (tx) => {
    const facts = await lockedFacts(tx, userId);
    refuseConverted(facts);
    const live = await liveEntry(tx.em, tx.store, userId, true);
    if (!live) throw notFound(`claimant ${userId} has no live entry to move; use enqueueUser`);
    if (live.queueType === to) throw conflict(`claimant ${userId} is already in ${to}`);
    return moveEntry(tx, facts, live, to, reason);
  });
}

/** After a fact changed: the live entry's derived columns and priority follow. */
export async function refreshLiveEntry(op: Operation, facts: ClaimantFacts): Promise<QueueEntryRecord | null> {
  const live = await liveEntry(op.em, op.store, facts.claimant.userId, true);
  if (!live) return null;
  const now = new Date();
  const details = entryDetailsFor(live.queueType, facts, live.enqueuedAt, now);
  const updated = await updateEntryDetails(op.em, op.store, live, details);
  await syncScore(op, live.userId, live.queueType, details.priorityScore, now);
  await publishEntry(op, 'ENTRY_UPDATED', updated);
  return updated;
}
