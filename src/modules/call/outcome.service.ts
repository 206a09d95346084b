import { callbackById } from '../callback/callback.sql.js';
import { convertClaimant } from '../conversion/convert.service.js';
import type { Conversion } from '../conversion/conversion.entity.js';
import { badInput } from '../errors.js';
import { type ClaimantFacts } from '../facts.js';
import { lockedFacts } from '../facts.sql.js';
import { phaseTransaction, type Operation } from '../operation.js';
import { lockAssignedEntry } from '../queue/claim.service.js';
import { clearEntryCallback, closeCallback } from '../queue/entry-writes.sql.js';
import type { QueueEntryRecord } from '../queue/queue-entry.js';
import { entryById } from '../queue/queue.sql.js';
import { recordAttempt } from '../score/score.sql.js';
import { endActiveSession, insertCompletedSession } from './line-writes.sql.js';
import { recordOutcome } from './outcome.sql.js';

export type CallOutcome =
  | 'answered' | 'no_answer' | 'busy' | 'voicemail' | 'wrong_number' | 'callback_requested' | 'refused' | 'converted' | 'failed';

export interface OutcomeResult {
  entry: QueueEntryRecord;
  userId: number;
  conversion: Conversion | null;
}

/**
 * recordCallOutcome: the outcome of a call on an assigned entry (migration 0021's
 * callqueue_apply_outcome, in SQL, for every outcome but a conversion: convertOnCall). Retry
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
    const result = await convertOnCall(tx, facts, entry, 'ended here');
    return { entry: result.entry!, userId: entry.userId, conversion: result.conversion };
  });
}

/**
 * A call that converted the claimant, made on its assigned entry (recordCallOutcome) or outside
 * the queues (endCall): the attempt is counted, the active session ends with the outcome (or one
 * is recorded from the assignment), a due callback is completed (the call kept it), then the
 * conversion takes the claimant out of every queue. Every other outcome is migration 0021's
 * callqueue_apply_outcome. The caller holds the claimant's lock (`facts`) and, when given, the
 * entry's. `session`: the caller ends the session itself (endCall, last, to hold the line row
 * briefly), or it ends here.
 */
export async function convertOnCall(
  tx: Operation, facts: ClaimantFacts, entry: QueueEntryRecord | null, session: 'ended here' | 'ended by the caller',
): Promise<{ entry: QueueEntryRecord | null; conversion: Conversion | null }> {
  const userId = facts.claimant.userId;
  await recordAttempt(tx, userId, 'converted', tx.settings.cooldownMinutes.converted ?? 0);
  // A call made outside the lines still leaves a session, recorded from the assignment.
  if (session === 'ended here' && (await endActiveSession(tx.em, userId, 'converted')) === null && entry) {
    await insertCompletedSession(tx.em, {
      userId, agentId: entry.assignedToAgentId, queueType: entry.queueType, entryId: entry.id, startedAt: entry.assignedAt, outcome: 'converted',
    });
  }
  // A due callback is what this call made: completed. One still ahead goes with the entry.
  let current = entry;
  if (entry && entry.callbackId !== null) {
    const callback = await callbackById(tx.em, entry.callbackId, true);
    if (!(callback?.status === 'pending' && callback.scheduledFor && callback.scheduledFor > new Date())) {
      await closeCallback(tx.em, entry.callbackId, 'completed');
      current = await clearEntryCallback(tx.em, tx.store, entry, entry.priorityScore);
    }
  }
  if (facts.claimant.convertedAt) return { entry: current, conversion: null };
  const reloaded = await lockedFacts(tx, userId);
  const conversion = await convertClaimant(tx, userId, { conversionType: 'call', reason: 'converted on a call' }, reloaded);
  return { entry: entry && (await entryById(tx.em, tx.store, entry.id, false)), conversion };
}
