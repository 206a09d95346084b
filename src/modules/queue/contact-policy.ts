import type { ClaimantFacts } from '../facts.js';
import { nextWindowOpening, tomorrowsOpening, type CallingWindow } from './calling-window.js';

/**
 * The contact policy: whether a claimant may be called at `at`, decided in the claimant's own
 * time zone. One rule wherever a call starts — a claim (eligibility.ts), a campaign or direct
 * call (initiateCall) and the time a callback is promised for (scheduleCallback) — so a
 * promise is never made that the claim would then refuse to keep.
 */
export interface ContactFacts {
  doNotCall: boolean;
  nextCallAfter: Date | null;
  /** Attempts counted today (zero when the count was last reset on an earlier day). */
  attemptsToday: number;
  timezone: string;
  /**
   * The time was the claimant's own choice (a callback they asked for): the calling window and
   * the cooldown give way; do-not-call and the daily cap do not.
   */
  claimantRequested?: boolean;
}

export interface ContactSettings {
  window: CallingWindow;
  dailyAttemptCap: number;
}

export type ContactVerdict =
  | { kind: 'allowed' }
  | { kind: 'refused'; reason: string }
  /** Not now: allowed from `until`. */
  | { kind: 'not_now'; until: Date; reason: string };

export function contactVerdict(f: ContactFacts, at: Date, settings: ContactSettings): ContactVerdict {
  if (f.doNotCall) return { kind: 'refused', reason: 'do not call' };
  if (!f.claimantRequested && f.nextCallAfter && f.nextCallAfter > at) return { kind: 'not_now', until: f.nextCallAfter, reason: 'cooldown' };
  if (f.attemptsToday >= settings.dailyAttemptCap) {
    return { kind: 'not_now', until: tomorrowsOpening(at, f.timezone, settings.window), reason: 'daily attempt cap reached' };
  }
  const opening = f.claimantRequested ? null : nextWindowOpening(at, f.timezone, settings.window);
  if (opening) return { kind: 'not_now', until: opening, reason: 'outside the calling window' };
  return { kind: 'allowed' };
}

/** The contact facts of a claimant whose facts are loaded (calls, callbacks). */
export function contactFactsOf(facts: ClaimantFacts): ContactFacts {
  return {
    doNotCall: facts.claimant.doNotCall,
    nextCallAfter: facts.score?.nextCallAfter ?? null,
    attemptsToday: facts.score?.attemptsToday ?? 0,
    timezone: facts.claimant.timezone,
  };
}
