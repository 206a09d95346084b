import { callbackById } from '../callback/callback.sql.js';
import { markDoNotCall } from '../claimant/claimant.sql.js';
import { convertClaimant } from '../conversion/convert.service.js';
import type { Conversion } from '../conversion/conversion.entity.js';
import { badInput } from '../errors.js';
import { type ClaimantFacts } from '../facts.js';
import { lockedFacts } from '../facts.sql.js';
import { phaseTransaction, publishEntry, type Operation } from '../operation.js';
import { tomorrowsOpening } from '../queue/calling-window.js';
import { lockAssignedEntry } from '../queue/claim.service.js';
import { entryDetailsFor } from '../queue/entry-details.js';
import { clearEntryCallback, closeCallback, returnToPending } from '../queue/entry-writes.sql.js';
import type { QueueEntryRecord } from '../queue/queue-entry.js';
import { entryById, liveEntry } from '../queue/queue.sql.js';
import { refreshLiveEntry, takeOutOfQueue } from '../queue/queue-writes.service.js';
import { deactivateScore, recordAttempt, syncScore } from '../score/score.sql.js';
import { endActiveSession, insertCompletedSession } from './line-writes.sql.js';
import { recordOutcome } from './outcome.sql.js';

export type CallOutcome =
  | 'answered' | 'no_answer' | 'busy' | 'voicemail' | 'wrong_number' | 'callback_requested' | 'refused' | 'converted' | 'failed';

/** Outcomes after which the claimant is simply tried again later: the entry goes back to its queue. */
const RETRY = new Set<CallOutcome>(['no_answer', 'busy', 'voicemail', 'failed']);

export interface OutcomeResult {
  entry: QueueEntryRecord;
  userId: number;
  conversion: Conversion | null;
}

/**
 * recordCallOutcome: the outcome of a call on an assigned entry (see applyOutcome, which
 * migration 0019's callqueue_record_outcome does in SQL for every outcome but a conversion). Retry
 * outcomes release the entry with a fresh score, available after the cooldown (or tomorrow's
 * opening once the daily cap is reached); refused or do-not-call flags the claimant and
 * completes the entry; converted records a conversion; the others complete it.
 */
export async function recordCallOutcome(
  op: Operation,
  input: { entryId: number; outcome: CallOutcome; doNotCall?: boolean | null; notes?: string | null },
  agentId: number | null,
): Promise<OutcomeResult> {
  if (input.notes && input.notes.length > 2000) throw badInput('notes must be at most 2,000 characters');
  if (input.outcome !== 'converted') {
    // Every outcome but a conversion: one statement, the database's callqueue_record_outcome.
    const entry = await recordOutcome(op.em, input.entryId, agentId, input.outcome, input.doNotCall === true, op.actor, {
      cooldownMinutes: op.settings.cooldownMinutes[input.outcome] ?? 0, dailyCap: op.settings.dailyAttemptCap, windowStart: op.settings.window.startMinute,
    });
    return { entry, userId: entry.userId, conversion: null };
  }
  return phaseTransaction(op, async (tx) => {
    const entry = await lockAssignedEntry(tx, input.entryId, agentId);
    const facts = await lockedFacts(tx, entry.userId);
    const result = await applyOutcome(tx, facts, entry, input.outcome, input.doNotCall === true);
    return { entry: result.entry!, userId: entry.userId, conversion: result.conversion };
  });
}

/**
 * What a call's outcome does, whether it was made on the claimant's assigned entry
 * (recordCallOutcome) or outside the queues (endCall of a direct call): count the attempt
 * (total, today, last call, cooldown per outcome), end the active session with the outcome (or
 * record one from the assignment), then convert, flag do-not-call, or — with an entry —
 * release or complete it; without one, the live entry's score follows the new attempt count.
 * The caller holds the claimant's lock (`facts`) and, when given, the entry's. `session`: the
 * caller ends the session itself (endCall, last, to hold the line row briefly), or it ends here.
 */
export async function applyOutcome(
  tx: Operation, facts: ClaimantFacts, entry: QueueEntryRecord | null, outcome: CallOutcome, doNotCallAsked: boolean,
  session: 'ended here' | 'ended by the caller' = 'ended here',
): Promise<{ entry: QueueEntryRecord | null; conversion: Conversion | null }> {
  const userId = facts.claimant.userId;
  const attempt = await recordAttempt(tx, userId, outcome, tx.settings.cooldownMinutes[outcome] ?? 0);
  // A call made outside the lines still leaves a session, recorded from the assignment.
  if (session === 'ended here' && (await endActiveSession(tx.em, userId, outcome)) === null && entry) {
    await insertCompletedSession(tx.em, {
      userId, agentId: entry.assignedToAgentId, queueType: entry.queueType, entryId: entry.id, startedAt: entry.assignedAt, outcome,
    });
  }
  const doNotCall = doNotCallAsked || outcome === 'refused';
  const now = new Date();
  // A due callback is what this call made: it is completed and the entry loses its callback
  // priority. A callback still ahead (scheduled during this call) keeps the claimant queued.
  let current = entry;
  let callbackAhead: Date | null = null;
  if (entry && entry.callbackId !== null) {
    const callback = await callbackById(tx.em, entry.callbackId, true);
    const scheduledFor = callback?.scheduledFor ?? null;
    if (callback?.status === 'pending' && scheduledFor && scheduledFor > now) {
      callbackAhead = scheduledFor;
    } else {
      await closeCallback(tx.em, entry.callbackId, 'completed');
      current = await clearEntryCallback(tx.em, tx.store, entry, entry.priorityScore);
    }
  }

  if (outcome === 'converted') {
    if (facts.claimant.convertedAt) return { entry: current, conversion: null };
    const reloaded = await lockedFacts(tx, userId);
    const conversion = await convertClaimant(tx, userId, { conversionType: 'call', reason: 'converted on a call' }, reloaded);
    return { entry: entry && (await entryById(tx.em, tx.store, entry.id, false)), conversion };
  }
  if (doNotCall) {
    await markDoNotCall(tx.em, userId);
    await deactivateScore(tx, userId);
    // The entry of this call is completed; a live entry the call was not made from is removed.
    const live = current ?? (await liveEntry(tx.em, tx.store, userId, true));
    const closed = live && await takeOutOfQueue(tx, live, current ? 'completed' : 'removed',
      outcome === 'refused' ? 'refused' : 'do not call requested', 'do not call');
    return { entry: closed, conversion: null };
  }
  const counted = { ...facts, score: facts.score && { ...facts.score, totalAttempts: attempt.totalAttempts } };
  if (!current) return { entry: await refreshLiveEntry(tx, counted), conversion: null };
  const details = entryDetailsFor(current.queueType, counted, current.enqueuedAt, now);
  await syncScore(tx, userId, current.queueType, details.priorityScore, now);
  if (callbackAhead) {
    const released = await returnToPending(tx.em, tx.store, current, callbackAhead, current.priorityScore);
    await publishEntry(tx, 'ENTRY_RELEASED', released);
    return { entry: released, conversion: null };
  }
  if (RETRY.has(outcome)) {
    const availableFrom = attempt.attemptsToday >= tx.settings.dailyAttemptCap
      ? new Date(Math.max(attempt.nextCallAfter.getTime(), tomorrowsOpening(now, facts.claimant.timezone, tx.settings.window).getTime()))
      : attempt.nextCallAfter;
    const released = await returnToPending(tx.em, tx.store, current, availableFrom, details.priorityScore);
    await publishEntry(tx, 'ENTRY_RELEASED', released);
    return { entry: released, conversion: null };
  }
  return { entry: await takeOutOfQueue(tx, current, 'completed', outcome, `call ${outcome}`), conversion: null };
}
