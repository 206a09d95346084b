import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { computeScore, escalationFor, isSignatureUrgent } from '../../src/modules/score/score-policy.js';
import type { QueueType } from '../../src/modules/queue-type.js';

/**
 * One rule in two languages: the score policy in TypeScript (score-policy.ts, the readable
 * rule and scoreBreakdown) and in SQL (migration 0007, what the priority refresh orders by)
 * agree to the point over a generated matrix of claimants and instants — exact hour, day and
 * horizon boundaries and a millisecond either side of them included.
 */
let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(() => db.drop());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const around = (t: number) => [t - 1, t, t + 1];

interface Case {
  queueType: QueueType;
  waitingMs: number | null;
  attempts: number;
  missingMs: number | null;
  deadlineMs: number | null;
}

function matrix(): Case[] {
  const waits = [null, 0, ...around(HOUR), 59 * HOUR + 1234, ...around(160 * HOUR), 400 * HOUR];
  const attempts = [0, 1, 9, 10, 25];
  const missing = [null, 3 * DAY, ...around(14 * DAY), 40 * DAY];
  const deadlines = [null, ...around(-1), -5 * DAY, ...around(2 * DAY), 3.5 * DAY + 77, ...around(7 * DAY), 30 * DAY,
    ...Array.from({ length: 25 }, (_, i) => Math.round((i * 7 * DAY) / 25 + i * 9973))];
  const cases: Case[] = [];
  for (const waitingMs of waits) for (const a of attempts) for (const missingMs of missing) {
    cases.push({ queueType: 'unsigned_users', waitingMs, attempts: a, missingMs, deadlineMs: null });
  }
  for (const waitingMs of waits) for (const a of attempts) for (const deadlineMs of deadlines) {
    cases.push({ queueType: 'outstanding_requests', waitingMs, attempts: a, missingMs: null, deadlineMs });
  }
  return cases;
}

it('computes the same score, escalation and urgency in SQL as in TypeScript', async () => {
  // Instants across a DST change, a month end and a leap day: the policy counts elapsed time only.
  const instants = ['2026-03-29T00:59:59.999Z', '2026-10-31T23:30:00.500Z', '2028-02-29T12:00:00.001Z'].map((t) => new Date(t));
  const cases = matrix();
  expect(cases.length).toBeGreaterThan(1000);
  const rows: unknown[][] = [];
  const expected: [number, number, boolean][] = [];
  for (const now of instants) {
    for (const c of cases) {
      const at = (offset: number | null) => (offset === null ? null : new Date(now.getTime() - offset));
      const waitingSince = at(c.waitingMs);
      const missingSince = at(c.missingMs);
      const deadline = c.deadlineMs === null ? null : new Date(now.getTime() + c.deadlineMs);
      const urgent = isSignatureUrgent(missingSince, now);
      const escalation = escalationFor(deadline, now);
      expected.push([computeScore({
        queueType: c.queueType, waitingSince, totalAttempts: c.attempts, urgentSignature: urgent,
        escalationLevel: c.queueType === 'outstanding_requests' ? escalation : 0, documentDeadline: deadline,
      }, now), escalation, urgent]);
      rows.push([c.queueType, waitingSince?.toISOString() ?? null, c.attempts, missingSince?.toISOString() ?? null,
        deadline?.toISOString() ?? null, now.toISOString()]);
    }
  }
  const column = (i: number) => rows.map((r) => r[i]);
  const got = await db.sql(`
    SELECT callqueue_policy_score(q, w, a, m, d, n) AS score, callqueue_escalation(d, n) AS escalation,
           callqueue_urgent_signature(m, n) AS urgent
      FROM unnest($1::text[], $2::timestamptz[], $3::int[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[])
           WITH ORDINALITY AS t(q, w, a, m, d, n, i)
     ORDER BY i`, [column(0), column(1), column(2), column(3), column(4), column(5)]);
  const disagreements = got
    .map((r, i) => ({ i, sql: [r.score, r.escalation, r.urgent], ts: expected[i]!, input: rows[i] }))
    .filter((d) => d.sql[0] !== d.ts[0] || d.sql[1] !== d.ts[1] || d.sql[2] !== d.ts[2]);
  expect(disagreements.slice(0, 5)).toEqual([]);
  // The matrix reaches every part of the rule, so agreement is not agreement on zeros.
  const scores = new Set(expected.map((e) => e[0]));
  expect(scores.size).toBeGreaterThan(200);
  expect(new Set(expected.map((e) => e[1]))).toEqual(new Set([0, 1, 2]));
});

it('agrees on timestamps Postgres writes with microseconds, which JavaScript reads to the millisecond', async () => {
  // now() − exactly 160 h, 14 days, 2 days: the µs fall on both sides; JavaScript drops them on both.
  const at = '2026-12-01 22:28:05.646912+00';
  const cases = [
    ['unsigned_users', '2026-11-25 06:28:05.646912+00', null, null],
    ['unsigned_users', '2026-11-30 12:00:00.000001+00', '2026-11-17 22:28:05.646913+00', null],
    ['outstanding_requests', '2026-11-30 22:28:05.646999+00', null, '2026-12-03 22:28:05.646001+00'],
    ['outstanding_requests', '2026-12-01 21:28:05.646912+00', null, '2026-12-08 22:28:05.646999+00'],
  ] as const;
  for (const [queueType, waiting, missing, deadline] of cases) {
    const [row] = await db.sql(`SELECT callqueue_policy_score($1, $2, 0, $3, $4, $5) AS score`, [queueType, waiting, missing, deadline, at]);
    const now = new Date(at.replace(' ', 'T').replace('+00', 'Z'));
    const date = (t: string | null) => (t === null ? null : new Date(t.replace(' ', 'T').replace('+00', 'Z')));
    const d = date(deadline);
    const ts = computeScore({
      queueType, waitingSince: date(waiting), totalAttempts: 0, urgentSignature: isSignatureUrgent(date(missing), now),
      escalationLevel: escalationFor(d, now), documentDeadline: d,
    }, now);
    expect({ queueType, waiting, score: row!.score }).toEqual({ queueType, waiting, score: ts });
  }
});

it('reads whole milliseconds in float8 exactly as the numeric epoch did, microseconds, 1970, far dates and infinity included', async () => {
  // Migration 0024 replaced floor(extract(epoch …) × 1000), numeric, by the interval's parts in
  // float8; the floor of a negative sub-millisecond part (before 1970) is where they could part.
  const [row] = await db.sql(`
    WITH t AS (
      SELECT timestamptz '1970-01-01 00:00:00+00' + make_interval(secs => (random() * 2 - 0.6) * 1e10)
             + make_interval(secs => floor(random() * 1000000) / 1000000) AS t FROM generate_series(1, 200000)
      UNION ALL SELECT unnest(ARRAY['1970-01-01 00:00:00+00', '1969-12-31 23:59:59.999999+00', '1969-12-31 23:59:59.9995+00',
                                    '2026-03-29 00:59:59.999999+00', '2400-02-29 12:00:00.000001+00', '1800-01-01 00:00:00.000999+00',
                                    'infinity', '-infinity']::timestamptz[]))
    SELECT count(*)::int AS checked,
           count(*) FILTER (WHERE callqueue_epoch_ms(t) <> floor(extract(epoch FROM t - timestamptz '1970-01-01 00:00:00+00') * 1000))::int AS differ,
           count(*) FILTER (WHERE t < '1970-01-01')::int AS before_1970
      FROM t`);
  expect(row).toMatchObject({ checked: 200008, differ: 0 });
  expect(row!.before_1970).toBeGreaterThan(10000);
});

it('scores an infinite instant as the numeric policy did: -infinity has waited longest and is urgent, an infinite deadline adds nothing', async () => {
  // JavaScript has no infinite Date (new Date(-Infinity) is invalid), so the rule is stated here:
  // base 1,000 + the waiting cap 4,000 + urgent 1,500; and the base alone.
  const [row] = await db.sql(`
    SELECT callqueue_policy_score('unsigned_users', '-infinity', 0, '-infinity', NULL, $1) AS unsigned,
           callqueue_policy_score('outstanding_requests', $1, 0, NULL, 'infinity', $1) AS far_deadline,
           callqueue_urgent_signature('-infinity', $1) AS urgent, callqueue_escalation('infinity', $1) AS escalation`, ['2026-12-02T12:00:00Z']);
  expect(row).toEqual({ unsigned: 6500, far_deadline: 1000, urgent: true, escalation: 0 });
});
