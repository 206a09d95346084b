import type { QueueType } from '../queue-type.js';

/**
 * The score policy: who is called first. Pure and deterministic (same facts, same `now`, same
 * score), so it is unit-tested and explained per claimant by `scoreBreakdown`.
 *
 *   score = base + waiting − attempts + urgent signature + escalation + deadline, clamped 0–9999
 *
 * - base        1,000 for everyone.
 * - waiting     +25 per full hour since the claimant started waiting (enqueued, or signature
 *               missing since), up to +4,000 (160 h): nobody starves — a claimant who waits
 *               long enough outranks a fresh one with any other advantage but a callback.
 * - attempts    −150 per call attempt made, down to −1,500: claimants who were just called a
 *               lot give way to those who were not.
 * - urgent      +1,500 when the signature is urgent (missing for 14 days or more, or flagged).
 * - escalation  +800 per escalation level (outstanding requests: 0 normal, 1, 2 urgent).
 * - deadline    up to +2,000 as the nearest document deadline comes within 7 days, linearly;
 *               +2,000 once it has passed.
 * Callbacks do not use this: their entries carry the top priority 9999 until due.
 */
export interface ScoreFacts {
  queueType: QueueType;
  /** Start of the wait: the entry's enqueued_at, or when the signature went missing. */
  waitingSince: Date | null;
  totalAttempts: number;
  urgentSignature: boolean;
  escalationLevel: number;
  documentDeadline: Date | null;
}

export interface ScoreComponent {
  name: 'base' | 'waiting' | 'attempts' | 'urgent_signature' | 'escalation' | 'deadline' | 'callback' | 'fixed';
  points: number;
  detail: string;
}

export const SCORE_MIN = 0;
export const SCORE_MAX = 9999;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const SCORE_WEIGHTS = {
  base: 1000,
  perWaitingHour: 25,
  maxWaiting: 4000,
  perAttempt: 150,
  maxAttemptPenalty: 1500,
  urgentSignature: 1500,
  perEscalationLevel: 800,
  maxDeadline: 2000,
  deadlineHorizonDays: 7,
} as const;

/** Days a signature may be missing before it is urgent. */
export const URGENT_SIGNATURE_DAYS = 14;

export function scoreComponents(facts: ScoreFacts, now: Date): ScoreComponent[] {
  const w = SCORE_WEIGHTS;
  const hours = facts.waitingSince ? Math.max(0, Math.floor((now.getTime() - facts.waitingSince.getTime()) / HOUR)) : 0;
  const waiting = Math.min(w.maxWaiting, hours * w.perWaitingHour);
  const attempts = Math.min(w.maxAttemptPenalty, Math.max(0, facts.totalAttempts) * w.perAttempt);
  const components: ScoreComponent[] = [
    { name: 'base', points: w.base, detail: 'every claimant' },
    { name: 'waiting', points: waiting, detail: `${hours} h waiting × ${w.perWaitingHour} (at most ${w.maxWaiting})` },
    { name: 'attempts', points: -attempts, detail: `${facts.totalAttempts} attempts × −${w.perAttempt} (at most −${w.maxAttemptPenalty})` },
  ];
  if (facts.queueType === 'unsigned_users') {
    components.push({
      name: 'urgent_signature', points: facts.urgentSignature ? w.urgentSignature : 0,
      detail: facts.urgentSignature ? 'signature urgent' : 'signature not urgent',
    });
  } else {
    const level = Math.min(2, Math.max(0, facts.escalationLevel));
    components.push({ name: 'escalation', points: level * w.perEscalationLevel, detail: `escalation level ${level} × ${w.perEscalationLevel}` });
    components.push(deadlineComponent(facts.documentDeadline, now));
  }
  return components;
}

function deadlineComponent(deadline: Date | null, now: Date): ScoreComponent {
  const w = SCORE_WEIGHTS;
  if (!deadline) return { name: 'deadline', points: 0, detail: 'no document deadline' };
  const left = deadline.getTime() - now.getTime();
  if (left <= 0) return { name: 'deadline', points: w.maxDeadline, detail: 'document deadline passed' };
  const horizon = w.deadlineHorizonDays * DAY;
  if (left >= horizon) return { name: 'deadline', points: 0, detail: `deadline in ${Math.floor(left / DAY)} days (counts within ${w.deadlineHorizonDays})` };
  const points = Math.round(w.maxDeadline * (1 - left / horizon));
  return { name: 'deadline', points, detail: `deadline in ${(left / HOUR).toFixed(1)} h` };
}

export function clampScore(value: number): number {
  return Math.min(SCORE_MAX, Math.max(SCORE_MIN, Math.round(value)));
}

export function computeScore(facts: ScoreFacts, now: Date): number {
  return clampScore(scoreComponents(facts, now).reduce((sum, c) => sum + c.points, 0));
}

/** Escalation of an outstanding-requests entry from its nearest deadline: 2 within 2 days or past, 1 within 7. */
export function escalationFor(deadline: Date | null, now: Date): number {
  if (!deadline) return 0;
  const left = deadline.getTime() - now.getTime();
  if (left <= 2 * DAY) return 2;
  if (left <= 7 * DAY) return 1;
  return 0;
}

export function isSignatureUrgent(missingSince: Date | null, now: Date): boolean {
  return missingSince !== null && now.getTime() - missingSince.getTime() >= URGENT_SIGNATURE_DAYS * DAY;
}
