import { requireActiveAgent } from '../agent/agent.service.js';
import { badInput, conflict, forbidden, notFound, requireReason } from '../errors.js';
import { refuseConverted, type ClaimantFacts } from '../facts.js';
import { lockedFacts } from '../facts.sql.js';
import { phaseTransaction, publishEntry, type Operation, type QueueSettings } from '../operation.js';
import { contactFactsOf, contactVerdict } from '../queue/contact-policy.js';
import { entryDetailsFor } from '../queue/entry-details.js';
import { clearEntryCallback, closeCallback, insertEntry, recordTransition, setEntryCallback } from '../queue/entry-writes.sql.js';
import type { QueueEntryRecord } from '../queue/queue-entry.js';
import { liveEntry } from '../queue/queue.sql.js';
import { takeOutOfQueue } from '../queue/queue-writes.service.js';
import type { QueueType } from '../queue-type.js';
import { SCORE_MAX } from '../score/score-policy.js';
import type { Callback } from './callback.entity.js';
import { callbackById, insertCallback, supersedeCallbacks, toCallback } from './callback.sql.js';

/** How far ahead a callback may be scheduled. */
export const CALLBACK_MAX_DAYS_AHEAD = 30;
/** A callback entry is called before anything else once it is due. */
export const CALLBACK_PRIORITY = SCORE_MAX;

export interface CallbackInput {
  userId: number;
  scheduledFor: Date;
  reason: string;
  /** The preferred agent; null: anyone. */
  agentId: number | null;
  /** The claimant chose the time: outside calling hours or a cooldown is then accepted (and recorded). */
  claimantRequested: boolean;
}

/** The queue a claimant belongs in by its facts, or null when there is nothing to call about. */
function queueFor(facts: ClaimantFacts): QueueType | null {
  if (facts.claimant.signatureStatus === 'missing') return 'unsigned_users';
  return facts.requirements.pending > 0 ? 'outstanding_requests' : null;
}

/** The entry carries the callback no more: back to the priority its facts give it. */
export async function endEntryCallback(op: Operation, facts: ClaimantFacts, entry: QueueEntryRecord): Promise<QueueEntryRecord> {
  const details = entryDetailsFor(entry.queueType, facts, entry.enqueuedAt, new Date());
  const cleared = await clearEntryCallback(op.em, op.store, entry, details.priorityScore);
  await publishEntry(op, 'ENTRY_UPDATED', cleared);
  return cleared;
}

/**
 * A callback is a promise the claim must be able to keep: its time must pass the contact
 * policy in the claimant's zone (calling window, cooldown) — unless the claimant chose it.
 * The daily cap is not judged here: that day's attempts are not known yet.
 */
function refuseOutsidePolicy(facts: ClaimantFacts, input: CallbackInput, settings: QueueSettings): void {
  if (input.claimantRequested) return;
  const verdict = contactVerdict({ ...contactFactsOf(facts), attemptsToday: 0 }, input.scheduledFor, settings);
  if (verdict.kind !== 'not_now') return;
  throw badInput(`scheduledFor ${input.scheduledFor.toISOString()} is ${verdict.reason === 'cooldown' ? 'within the cooldown of the last call' : "outside calling hours in the claimant's time zone"} `
    + `(${facts.claimant.timezone}); the earliest allowed time is ${verdict.until.toISOString()}, or set claimantRequested if the claimant asked for this time`,
  { field: 'scheduledFor', reason: verdict.reason, earliestAllowed: verdict.until.toISOString() });
}

/**
 * scheduleCallback: records the callback and puts the claimant's entry at the top of its queue,
 * available from the callback's time, whatever its score (a repopulation keeps it). A claimant
 * without a live entry gets one in the queue its facts call for. A pending callback of the same
 * claimant is superseded (cancelled): one promise per claimant at a time.
 */
export async function scheduleCallback(op: Operation, input: CallbackInput): Promise<{ callback: Callback; entry: QueueEntryRecord }> {
  const reason = requireReason(input.reason);
  const now = Date.now();
  if (!(input.scheduledFor instanceof Date) || Number.isNaN(input.scheduledFor.getTime())) throw badInput('scheduledFor must be an ISO-8601 date-time');
  if (input.scheduledFor.getTime() <= now) {
    throw badInput(`scheduledFor must be in the future; ${input.scheduledFor.toISOString()} has passed`);
  }
  if (input.scheduledFor.getTime() > now + CALLBACK_MAX_DAYS_AHEAD * 86_400_000) {
    throw badInput(`scheduledFor must be within ${CALLBACK_MAX_DAYS_AHEAD} days; ${input.scheduledFor.toISOString()} is further`);
  }
  return phaseTransaction(op, async (tx) => {
    const facts = await lockedFacts(tx, input.userId);
    refuseConverted(facts);
    if (facts.claimant.doNotCall) throw conflict(`claimant ${input.userId} is marked do-not-call; no callback can be scheduled`);
    if (input.agentId !== null) await requireActiveAgent(tx.em, input.agentId, '; schedule the callback for another agent or for anyone');
    refuseOutsidePolicy(facts, input, tx.settings);
    const live = await liveEntry(tx.em, tx.store, input.userId, true);
    const queueType = live?.queueType ?? queueFor(facts);
    if (!queueType) throw conflict(`claimant ${input.userId} has signed and owes no document: there is nothing to call back about`);

    await supersedeCallbacks(tx.em, input.userId);
    const callback = await insertCallback(tx.em, {
      userId: input.userId, agentId: input.agentId, scheduledFor: input.scheduledFor, reason, queueType, createdEntry: live === null,
      claimantRequested: input.claimantRequested,
    });
    const onEntry = { id: callback.id, scheduledFor: callback.scheduledFor, reason };
    if (live) {
      const entry = await setEntryCallback(tx.em, tx.store, live, onEntry, CALLBACK_PRIORITY);
      await publishEntry(tx, 'ENTRY_UPDATED', entry);
      return { callback, entry };
    }
    const details = entryDetailsFor(queueType, facts, null, new Date());
    const entry = await insertEntry(tx.em, tx.store, {
      queueType, userId: input.userId, claimId: facts.claimant.claimId, ...details, priorityScore: CALLBACK_PRIORITY,
      availableFrom: callback.scheduledFor, callbackId: callback.id, callbackScheduledFor: callback.scheduledFor, callbackReason: reason,
    });
    await recordTransition(tx, input.userId, null, queueType, `callback scheduled: ${reason}`);
    await publishEntry(tx, 'ENTRY_ADDED', entry);
    return { callback, entry };
  });
}

/**
 * cancelCallback: only a pending callback. Its entry returns to its normal priority, or leaves
 * the queue when the callback is what put it there. An AGENT cancels its own callbacks only.
 */
export async function cancelCallback(op: Operation, id: number, agentId: number | null): Promise<Callback> {
  return phaseTransaction(op, async (tx) => {
    const peek = await callbackById(tx.em, id);
    if (!peek) throw notFound(`callback ${id} does not exist`);
    // Claimant first, then the callback: the lock order every callback write follows.
    const facts = await lockedFacts(tx, peek.userId);
    const callback = (await callbackById(tx.em, id, true))!;
    if (agentId !== null && callback.agentId !== agentId) {
      throw forbidden(`an AGENT key cancels the callbacks of agent ${agentId} only; callback ${id} is ${callback.agentId === null ? 'for anyone' : `agent ${callback.agentId}'s`}`);
    }
    if (callback.status !== 'pending') throw conflict(`callback ${id} is ${callback.status}; only a pending callback can be cancelled`);
    const cancelled = toCallback((await closeCallback(tx.em, id, 'cancelled'))!);
    const entry = await liveEntry(tx.em, tx.store, callback.userId, true);
    if (entry?.callbackId === id) {
      if (callback.createdEntry && entry.status === 'pending') {
        await takeOutOfQueue(tx, entry, 'removed', 'callback cancelled', `callback ${id} cancelled`);
      } else {
        await endEntryCallback(tx, facts, entry);
      }
    }
    return cancelled;
  });
}
