import { waitingSince, type ClaimantFacts } from '../facts.js';
import type { QueueType } from '../queue-type.js';
import { computeScore, escalationFor, isSignatureUrgent } from '../score/score-policy.js';
import type { EntryDetails } from './queue-entry.js';

/** The score-derived columns of an entry of `queueType` for this claimant now. */
export function entryDetailsFor(queueType: QueueType, facts: ClaimantFacts, enqueuedAt: Date | null, now: Date): EntryDetails {
  const urgentSignature = isSignatureUrgent(facts.claimant.signatureMissingSince, now);
  const escalationLevel = escalationFor(facts.requirements.nextDeadline, now);
  const priorityScore = computeScore({
    queueType,
    waitingSince: waitingSince(facts, enqueuedAt),
    totalAttempts: facts.score?.totalAttempts ?? 0,
    urgentSignature,
    escalationLevel,
    documentDeadline: facts.requirements.nextDeadline,
  }, now);
  if (queueType === 'unsigned_users') {
    return {
      priorityScore, signatureMissingSince: facts.claimant.signatureMissingSince,
      signatureType: facts.claimant.signatureType, urgentSignature,
    };
  }
  return {
    priorityScore,
    requirementTypes: facts.requirements.pendingTypes,
    totalRequirements: facts.requirements.total,
    pendingRequirements: facts.requirements.pending,
    escalationLevel,
    documentDeadline: facts.requirements.nextDeadline,
  };
}
