import { computeScore, escalationFor, isSignatureUrgent, scoreComponents, SCORE_WEIGHTS, type ScoreFacts } from '../../src/modules/score/score-policy.js';

const now = new Date('2026-11-23T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
const daysAhead = (d: number) => new Date(now.getTime() + d * 86_400_000);

const unsigned = (over: Partial<ScoreFacts> = {}): ScoreFacts => ({
  queueType: 'unsigned_users', waitingSince: now, totalAttempts: 0, urgentSignature: false, escalationLevel: 0, documentDeadline: null, ...over,
});
const outstanding = (over: Partial<ScoreFacts> = {}): ScoreFacts => ({ ...unsigned(over), queueType: 'outstanding_requests', ...over });

it('is deterministic: the worked example of the README', () => {
  // Outstanding requests, waiting 10 h, 2 attempts, escalation 1, deadline in 3.5 days:
  // 1000 + 250 − 300 + 800 + round(2000 × (1 − 3.5/7)) = 2750
  const facts = outstanding({ waitingSince: hoursAgo(10), totalAttempts: 2, escalationLevel: 1, documentDeadline: daysAhead(3.5) });
  expect(computeScore(facts, now)).toBe(2750);
  expect(computeScore(facts, now)).toBe(computeScore({ ...facts }, new Date(now)));
  expect(scoreComponents(facts, now).map((c) => [c.name, c.points])).toEqual([
    ['base', 1000], ['waiting', 250], ['attempts', -300], ['escalation', 800], ['deadline', 1000]]);
});

it('rises with waiting, so nobody starves, up to a cap', () => {
  expect(computeScore(unsigned({ waitingSince: hoursAgo(1) }), now)).toBeGreaterThan(computeScore(unsigned(), now));
  expect(computeScore(unsigned({ waitingSince: hoursAgo(10_000) }), now)).toBe(SCORE_WEIGHTS.base + SCORE_WEIGHTS.maxWaiting);
  // A long wait outranks a fresh urgent signature.
  expect(computeScore(unsigned({ waitingSince: hoursAgo(100) }), now)).toBeGreaterThan(computeScore(unsigned({ urgentSignature: true }), now));
});

it('falls with attempts, down to a floor', () => {
  const once = computeScore(unsigned({ waitingSince: hoursAgo(48), totalAttempts: 1 }), now);
  const never = computeScore(unsigned({ waitingSince: hoursAgo(48) }), now);
  expect(once).toBe(never - SCORE_WEIGHTS.perAttempt);
  expect(computeScore(unsigned({ totalAttempts: 500 }), now)).toBe(0);
});

it('rises with urgency, escalation and a near deadline', () => {
  expect(computeScore(unsigned({ urgentSignature: true }), now)).toBe(2500);
  expect(computeScore(outstanding({ escalationLevel: 2 }), now)).toBe(2600);
  expect(computeScore(outstanding({ documentDeadline: daysAhead(10) }), now)).toBe(1000);
  expect(computeScore(outstanding({ documentDeadline: daysAhead(1) }), now)).toBeGreaterThan(computeScore(outstanding({ documentDeadline: daysAhead(5) }), now));
  expect(computeScore(outstanding({ documentDeadline: hoursAgo(1) }), now)).toBe(3000);
});

it('is always an integer in 0–9999', () => {
  for (let i = 0; i < 200; i += 1) {
    const score = computeScore(outstanding({
      waitingSince: hoursAgo((i * 37) % 500), totalAttempts: i % 13, escalationLevel: i % 3, documentDeadline: daysAhead((i % 20) - 5),
    }), now);
    expect(Number.isInteger(score)).toBe(true);
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(9999);
  }
});

it('derives escalation from the deadline and urgency from the missing time', () => {
  expect([null, daysAhead(10), daysAhead(5), daysAhead(1), hoursAgo(5)].map((d) => escalationFor(d, now))).toEqual([0, 0, 1, 2, 2]);
  expect(isSignatureUrgent(hoursAgo(14 * 24), now)).toBe(true);
  expect(isSignatureUrgent(hoursAgo(13 * 24), now)).toBe(false);
  expect(isSignatureUrgent(null, now)).toBe(false);
});

it('bounds starvation: with no other points, 61 h of waiting outranks any newcomer to the unsigned queue, 145 h to the outstanding one', () => {
  // The strongest newcomer each queue can get: urgent signature; escalation 2 with a deadline passed.
  const freshUnsigned = computeScore(unsigned({ urgentSignature: true }), now);
  const freshOutstanding = computeScore(outstanding({ escalationLevel: 2, documentDeadline: hoursAgo(1) }), now);
  expect([freshUnsigned, freshOutstanding]).toEqual([2500, 4600]);
  const waited = (queue: typeof unsigned, hours: number) => computeScore(queue({ waitingSince: hoursAgo(hours) }), now);
  expect(waited(unsigned, 60)).toBe(freshUnsigned);          // a tie: the earlier availableFrom goes first
  expect(waited(unsigned, 61)).toBeGreaterThan(freshUnsigned);
  expect(waited(outstanding, 144)).toBe(freshOutstanding);
  expect(waited(outstanding, 145)).toBeGreaterThan(freshOutstanding);
  // And newcomers that keep arriving never catch up while the wait goes on: every hour adds the same 25 to both.
  for (const hours of [61, 100, 159]) expect(waited(unsigned, hours + 1) - waited(unsigned, hours)).toBe(SCORE_WEIGHTS.perWaitingHour);
});
