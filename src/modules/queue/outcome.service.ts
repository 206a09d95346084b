import { queryOne, queryRows, sql, toDate } from '../../db/sql.js';
import { closeCallback } from '../callback/callback.sql.js';
import { entryDetailsFor } from '../claimant/facts.js';
import { convertClaimant } from '../conversion/convert.service.js';
import type { Conversion } from '../conversion/conversion.entity.js';
import { badInput } from '../errors.js';
import { inTransaction, publishEntry, type Operation } from '../operation.js';
import { deactivateScore, recordAttempt, syncScore } from '../score/score.sql.js';
import { tomorrowsOpening } from './calling-window.js';
import { lockAssignedEntry } from './claim.service.js';
import type { QueueEntryRecord } from './queue-entry.js';
import { lockedFacts, takeOutOfQueue } from './queue-writes.service.js';

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
 * recordCallOutcome: counts the attempt (total, today, last call, cooldown per outcome), writes
 * the call to call_sessions (ending the active one, or recording one from the assignment), then
 * per outcome: retry outcomes release the entry with a fresh score, available after the
 * cooldown (or tomorrow's opening once the daily cap is reached); refused or do-not-call flags
 * the claimant and completes the entry; converted records a conversion; the others complete it.
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
    const agent = entry.assignedToAgentId!;
    const attempt = await recordAttempt(tx, entry.userId, input.outcome, tx.settings.cooldownMinutes[input.outcome] ?? 0);
    const ended = await queryRows(tx.em, sql`/* endSessionWithOutcome */
      UPDATE call_sessions SET status = 'completed', outcome = ${input.outcome}, ended_at = now()
       WHERE user_id = ${entry.userId} AND status = 'active' RETURNING id`);
    if (ended.length === 0) {
      await queryRows(tx.em, sql`/* recordCallSession */
        INSERT INTO call_sessions (user_id, agent_id, call_type, queue_type, queue_entry_id, status, outcome, started_at, ended_at)
        VALUES (${entry.userId}, ${agent}, 'direct', ${entry.queueType}, ${entry.id}, 'completed', ${input.outcome},
                coalesce(${entry.assignedAt}::timestamptz, now()), now())`);
    }
    const doNotCall = input.doNotCall === true || input.outcome === 'refused';
    const now = new Date();
    // A due callback is what this call made: it is completed and the entry loses its callback
    // priority. A callback still ahead (scheduled during this call) keeps the claimant queued.
    let current = entry;
    let callbackAhead: Date | null = null;
    if (entry.callbackId !== null) {
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

    if (input.outcome === 'converted') {
      const reloaded = await lockedFacts(tx, entry.userId);
      const conversion = await convertClaimant(tx, entry.userId, { conversionType: 'call', reason: 'converted on a call' }, reloaded);
      return { entry: (await tx.queues.entryById(tx.em, entry.id, false))!, userId: entry.userId, conversion };
    }
    if (doNotCall) {
      await queryOne(tx.em, sql`UPDATE claimants SET do_not_call = true, updated_at = now() WHERE user_id = ${entry.userId}`);
      await deactivateScore(tx, entry.userId);
      const closed = await takeOutOfQueue(tx, current, 'completed', input.outcome === 'refused' ? 'refused' : 'do not call requested', 'do not call');
      return { entry: closed, userId: entry.userId, conversion: null };
    }
    const details = entryDetailsFor(entry.queueType, { ...facts, score: facts.score && { ...facts.score, totalAttempts: attempt.totalAttempts } }, entry.enqueuedAt, now);
    await syncScore(tx, entry.userId, entry.queueType, details.priorityScore);
    if (callbackAhead) {
      const released = await tx.queues.release(tx.em, current, callbackAhead, current.priorityScore);
      await publishEntry(tx, 'ENTRY_RELEASED', released);
      return { entry: released, userId: entry.userId, conversion: null };
    }
    if (RETRY.has(input.outcome)) {
      const availableFrom = attempt.attemptsToday >= tx.settings.dailyAttemptCap
        ? new Date(Math.max(attempt.nextCallAfter.getTime(), tomorrowsOpening(now, facts.claimant.timezone, tx.settings.window).getTime()))
        : attempt.nextCallAfter;
      const released = await tx.queues.release(tx.em, current, availableFrom, details.priorityScore);
      await publishEntry(tx, 'ENTRY_RELEASED', released);
      return { entry: released, userId: entry.userId, conversion: null };
    }
    const completed = await takeOutOfQueue(tx, current, 'completed', input.outcome, `call ${input.outcome}`);
    return { entry: completed, userId: entry.userId, conversion: null };
  });
}
