import { badInput } from '../errors.js';
import type { Operation } from '../operation.js';
import type { QueueEntryRecord } from '../queue/queue-entry.js';
import { recordOutcome } from './outcome.sql.js';

export type CallOutcome =
  | 'answered' | 'no_answer' | 'busy' | 'voicemail' | 'wrong_number' | 'callback_requested' | 'refused' | 'converted' | 'failed';

export interface OutcomeResult {
  entry: QueueEntryRecord;
  userId: number;
  /** The conversion a CONVERTED outcome recorded (null when the claimant had converted already). */
  conversionId: number | null;
}

/**
 * recordCallOutcome: the outcome of a call on an assigned entry, in one statement (migration
 * 0021's callqueue_apply_outcome, which endCall runs too). Retry outcomes release the entry with
 * a fresh score, available after the cooldown (or tomorrow's opening once the daily cap is
 * reached); refused or do-not-call flags the claimant and completes the entry; converted records
 * a conversion; the others complete it.
 */
export async function recordCallOutcome(
  op: Operation,
  input: { entryId: number; outcome: CallOutcome; doNotCall?: boolean | null; notes?: string | null },
  agentId: number | null,
): Promise<OutcomeResult> {
  if (input.notes && input.notes.length > 2000) throw badInput('notes must be at most 2,000 characters');
  const { entry, conversionId } = await recordOutcome(op.em, input.entryId, agentId, input.outcome, input.doNotCall === true, op.actor, {
    cooldownMinutes: op.settings.cooldownMinutes[input.outcome] ?? 0, dailyCap: op.settings.dailyAttemptCap, windowStart: op.settings.window.startMinute,
  });
  return { entry, userId: entry.userId, conversionId };
}
