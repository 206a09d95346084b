import type { Claimant } from './claimant/claimant.entity.js';
import { conflict } from './errors.js';
import type { QueueType } from './queue-type.js';

/**
 * The facts: everything the rules read about one claimant (its row, its score, its
 * requirements), loaded in one statement. Every write about a claimant starts by locking them.
 */
export interface ClaimantFacts {
  claimant: Claimant;
  score: {
    currentScore: number;
    isActive: boolean;
    currentQueueType: QueueType | null;
    totalAttempts: number;
    attemptsToday: number;
    lastCallAt: Date | null;
    /** When currentScore was computed (last_queue_check): the instant the entry's priority explains. */
    scoredAt: Date | null;
    /** A priority fixed by enqueueUser, until the next re-scoring. */
    priorityOverride: number | null;
    /** The cooldown after the last call: not called again before. */
    nextCallAfter: Date | null;
  } | null;
  requirements: {
    /** Requirements not waived. */
    total: number;
    pending: number;
    pendingTypes: string[];
    nextDeadline: Date | null;
    receivedTypes: string[];
    metTypes: string[];
  };
}

export function refuseConverted(facts: ClaimantFacts): void {
  if (facts.claimant.convertedAt) {
    throw conflict(`claimant ${facts.claimant.userId} converted on ${facts.claimant.convertedAt.toISOString()}; it is in no queue any more`);
  }
}

/**
 * When the claimant's wait started, for the score: the earlier of its entry's enqueued_at
 * (kept across transitions) and the time its signature went missing; else its creation.
 * The same rule at enqueue, on refresh and in scoreBreakdown, so the stored score is explainable.
 */
export function waitingSince(facts: ClaimantFacts, enqueuedAt: Date | null): Date {
  const starts = [enqueuedAt, facts.claimant.signatureMissingSince].filter((d): d is Date => d !== null);
  return starts.length > 0 ? new Date(Math.min(...starts.map((d) => d.getTime()))) : facts.claimant.createdAt;
}
