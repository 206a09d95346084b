import { nextWindowOpening, tomorrowsOpening, type CallingWindow } from './calling-window.js';
import type { QueueType } from '../queue-type.js';

/**
 * The live checks of a claim (README, "Claiming"), as a pure decision on the facts loaded with the
 * locked entry. Facts that make the entry wrong remove it (with the reason); facts that only
 * say "not now" defer it to the time it becomes callable, so it keeps its place.
 * (The "claimant on a call" and "callback for another agent" checks are in the claim SQL, so
 * such entries are never locked by the wrong claim.)
 */
export interface EligibilityFacts {
  queueType: QueueType;
  scoreActive: boolean;
  doNotCall: boolean;
  converted: boolean;
  signatureObtained: boolean;
  hasPendingRequirement: boolean;
  nextCallAfter: Date | null;
  /** Attempts counted today (zero when the count was last reset on an earlier day). */
  attemptsToday: number;
  timezone: string;
}

export type Verdict =
  | { kind: 'assign' }
  | { kind: 'remove'; reason: string }
  | { kind: 'defer'; until: Date; reason: string };

export interface EligibilitySettings {
  window: CallingWindow;
  dailyAttemptCap: number;
}

export function checkEligibility(f: EligibilityFacts, now: Date, settings: EligibilitySettings): Verdict {
  if (!f.scoreActive) return { kind: 'remove', reason: 'score inactive' };
  if (f.doNotCall) return { kind: 'remove', reason: 'do not call' };
  if (f.converted) return { kind: 'remove', reason: 'already converted' };
  if (f.queueType === 'unsigned_users' && f.signatureObtained) return { kind: 'remove', reason: 'signature already obtained' };
  if (f.queueType === 'outstanding_requests' && !f.hasPendingRequirement) return { kind: 'remove', reason: 'no requirement pending' };
  if (f.nextCallAfter && f.nextCallAfter > now) return { kind: 'defer', until: f.nextCallAfter, reason: 'cooldown' };
  if (f.attemptsToday >= settings.dailyAttemptCap) {
    return { kind: 'defer', until: tomorrowsOpening(now, f.timezone, settings.window), reason: 'daily attempt cap reached' };
  }
  const opening = nextWindowOpening(now, f.timezone, settings.window);
  if (opening) return { kind: 'defer', until: opening, reason: 'outside the calling window' };
  return { kind: 'assign' };
}
