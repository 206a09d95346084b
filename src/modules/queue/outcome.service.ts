import { queryOne, queryRows, sql, toDate } from '../../db/sql.js';
import { closeCallback } from '../callback/callback.sql.js';
import { entryDetailsFor, type ClaimantFacts } from '../claimant/facts.js';
import { convertClaimant } from '../conversion/convert.service.js';
import type { Conversion } from '../conversion/conversion.entity.js';
import { badInput } from '../errors.js';
import { inTransaction, publishEntry, type Operation } from '../operation.js';
import { deactivateScore, recordAttempt, syncScore } from '../score/score.sql.js';
import { tomorrowsOpening } from './calling-window.js';
import { lockAssignedEntry } from './claim.service.js';
import type { QueueEntryRecord } from './queue-entry.js';
import { lockedFacts, refreshLiveEntry, takeOutOfQueue } from './queue-writes.service.js';

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
 * recordCallOutcome: the outcome of a call on an assigned entry (see applyOutcome). Retry
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
  return inTransaction(op, async (tx) => {
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
 * The caller holds the claimant's lock (`facts`) and, when given, the entry's.
 */
export async function applyOutcome(
  tx: Operation, facts: ClaimantFacts, entry: QueueEntryRecord | null, outcome: CallOutcome, doNotCallAsked: boolean,
): Promise<{ entry: QueueEntryRecord | null; conversion: Conversion | null }> {
  const userId = facts.claimant.userId;
  const attempt = await recordAttempt(tx, userId, outcome, tx.settings.cooldownMinutes[outcome] ?? 0);
  const ended = await queryRows(tx.em, sql`/* endSessionWithOutcome */
    UPDATE call_sessions SET status = 'completed', outcome = ${outcome}, ended_at = now()
     WHERE user_id = ${userId} AND status = 'active' RETURNING id`);
  if (ended.length === 0 && entry) {
    await queryRows(tx.em, sql`/* recordCallSession */
      INSERT INTO call_sessions (user_id, agent_id, call_type, queue_type, queue_entry_id, status, outcome, started_at, ended_at)
      VALUES (${userId}, ${entry.assignedToAgentId}, 'direct', ${entry.queueType}, ${entry.id}, 'completed', ${outcome},
              coalesce(${entry.assignedAt}::timestamptz, now()), now())`);
  }
  const doNotCall = doNotCallAsked || outcome === 'refused';
  const now = new Date();
  // A due callback is what this call made: it is completed and the entry loses its callback
  // priority. A callback still ahead (scheduled during this call) keeps the claimant queued.
  let current = entry;
  let callbackAhead: Date | null = null;
  if (entry && entry.callbackId !== null) {
    const callback = await queryOne<{ status: string; scheduled_for: string }>(tx.em, sql`
      SELECT status, scheduled_for FROM callbacks WHERE id = ${entry.callbackId} FOR UPDATE`);
    const scheduledFor = toDate(callback?.scheduled_for ?? null);
    if (callback?.status === 'pending' && scheduledFor && scheduledFor > now) {
      callbackAhead = scheduledFor;
    } else {
      await closeCallback(tx.em, entry.callbackId, 'completed');
      current = await tx.queues.setCallback(tx.em, entry, null, entry.priorityScore);
    }
  }

  if (outcome === 'converted') {
    if (facts.claimant.convertedAt) return { entry: current, conversion: null };
    const reloaded = await lockedFacts(tx, userId);
    const conversion = await convertClaimant(tx, userId, { conversionType: 'call', reason: 'converted on a call' }, reloaded);
    return { entry: entry && (await tx.queues.entryById(tx.em, entry.id, false)), conversion };
  }
  if (doNotCall) {
    await queryOne(tx.em, sql`UPDATE claimants SET do_not_call = true, updated_at = now() WHERE user_id = ${userId}`);
    await deactivateScore(tx, userId);
    // The entry of this call is completed; a live entry the call was not made from is removed.
    const live = current ?? (await tx.queues.liveEntry(tx.em, userId, true));
    const closed = live && await takeOutOfQueue(tx, live, current ? 'completed' : 'removed',
      outcome === 'refused' ? 'refused' : 'do not call requested', 'do not call');
    return { entry: closed, conversion: null };
  }
  const counted = { ...facts, score: facts.score && { ...facts.score, totalAttempts: attempt.totalAttempts } };
  if (!current) return { entry: await refreshLiveEntry(tx, counted), conversion: null };
  const details = entryDetailsFor(current.queueType, counted, current.enqueuedAt, now);
  await syncScore(tx, userId, current.queueType, details.priorityScore);
  if (callbackAhead) {
    const released = await tx.queues.release(tx.em, current, callbackAhead, current.priorityScore);
    await publishEntry(tx, 'ENTRY_RELEASED', released);
    return { entry: released, conversion: null };
  }
  if (RETRY.has(outcome)) {
    const availableFrom = attempt.attemptsToday >= tx.settings.dailyAttemptCap
      ? new Date(Math.max(attempt.nextCallAfter.getTime(), tomorrowsOpening(now, facts.claimant.timezone, tx.settings.window).getTime()))
      : attempt.nextCallAfter;
    const released = await tx.queues.release(tx.em, current, availableFrom, details.priorityScore);
    await publishEntry(tx, 'ENTRY_RELEASED', released);
    return { entry: released, conversion: null };
  }
  return { entry: await takeOutOfQueue(tx, current, 'completed', outcome, `call ${outcome}`), conversion: null };
}
