import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { checkEligibility, type Verdict } from '../../src/modules/queue/eligibility.js';
import { parseWindow, type CallingWindow } from '../../src/modules/queue/calling-window.js';
import type { QueueType } from '../../src/modules/queue-type.js';

/**
 * One claim rule in two languages: the live checks in TypeScript (eligibility.ts with the
 * contact policy and the calling window: the readable rule, scoreBreakdown and diagnostics) and
 * in SQL (migration 0018's callqueue_claim_verdict, what the claim runs) give the same verdict,
 * reason and time over a generated matrix: zones on both sides of UTC (and a 45-minute one),
 * instants every 47 minutes across DST changes, month and year ends, cooldowns either side of
 * the instant, daily caps, callbacks the claimant asked for, do-not-call, converted, signed.
 */
let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(() => db.drop());

const ZONES = ['UTC', 'America/New_York', 'America/Los_Angeles', 'Europe/London', 'Europe/Berlin', 'Australia/Sydney',
  'Pacific/Auckland', 'Asia/Kathmandu', 'America/St_Johns'];
/** DST changes (US, EU, southern hemisphere) and month ends, leap day and year end included. */
const ANCHORS = ['2026-03-08', '2026-03-29', '2026-04-05', '2026-09-27', '2026-10-25', '2026-11-01', '2026-01-31',
  '2026-02-28', '2028-02-29', '2026-12-31'];
/** The default window, an early one and one whose opening falls in a spring-forward gap. */
const WINDOWS: CallingWindow[] = [parseWindow('08:00', '21:00'), parseWindow('00:00', '06:00'), parseWindow('02:30', '23:59')];
const CAP = 3;

interface Case {
  queueType: QueueType; scoreActive: boolean; doNotCall: boolean; converted: boolean; signatureObtained: boolean;
  hasPendingRequirement: boolean; nextCallAfter: Date | null; attemptsToday: number; timezone: string;
  claimantRequested: boolean; at: Date; window: CallingWindow;
}

/** A small deterministic generator, so a failure names a case that can be run again. */
function random(seed: number) {
  let state = seed;
  return () => { state = (state * 1_103_515_245 + 12_345) % 2 ** 31; return state / 2 ** 31; };
}

function matrix(): Case[] {
  const next = random(42);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const cases: Case[] = [];
  for (const anchor of ANCHORS) {
    for (let minute = -12 * 60; minute < 36 * 60; minute += 47) {
      const at = new Date(Date.parse(`${anchor}T00:00:00.000Z`) + minute * 60_000 + 1234);
      for (const timezone of ZONES) {
        // Mostly callable claimants, so the calling window and the cap decide most cases.
        const gone = next() < 0.15;
        cases.push({
          queueType: pick(['unsigned_users', 'outstanding_requests'] as const),
          scoreActive: !gone || next() < 0.5, doNotCall: gone && next() < 0.3, converted: gone && next() < 0.3,
          signatureObtained: next() < 0.1, hasPendingRequirement: next() > 0.1,
          nextCallAfter: pick([null, null, new Date(at.getTime() - 1), new Date(at.getTime() + 1), new Date(at.getTime() + 3_600_000)]),
          attemptsToday: pick([0, 1, CAP - 1, CAP, CAP + 2]), timezone, claimantRequested: next() < 0.2, at, window: pick(WINDOWS),
        });
      }
    }
  }
  return cases;
}

const describe = (v: Verdict) => `${v.kind}|${v.kind === 'assign' ? '' : v.reason}|${v.kind === 'defer' ? v.until.toISOString() : ''}`;

it('gives the same claim verdict in SQL as in TypeScript', async () => {
  const cases = matrix();
  expect(cases.length).toBeGreaterThan(5000);
  const expected = cases.map((c) => describe(checkEligibility(c, c.at, { window: c.window, dailyAttemptCap: CAP })));
  const column = <T>(f: (c: Case) => T) => cases.map(f);
  const got = await db.sql(`
    SELECT v.kind, v.reason, v.until
      FROM unnest($1::text[], $2::bool[], $3::bool[], $4::bool[], $5::bool[], $6::bool[], $7::timestamptz[], $8::int[],
                  $9::text[], $10::bool[], $11::timestamptz[], $12::int[], $13::int[]) WITH ORDINALITY
           AS t(q, active, dnc, conv, signed, pend, nca, att, tz, asked, at, ws, we, i)
      CROSS JOIN LATERAL callqueue_claim_verdict(q, active, dnc, conv, signed, pend, nca, att, tz, asked, at, ws, we, ${CAP}) v
     ORDER BY i`, [
    column((c) => c.queueType), column((c) => c.scoreActive), column((c) => c.doNotCall), column((c) => c.converted),
    column((c) => c.signatureObtained), column((c) => c.hasPendingRequirement), column((c) => c.nextCallAfter?.toISOString() ?? null),
    column((c) => c.attemptsToday), column((c) => c.timezone), column((c) => c.claimantRequested), column((c) => c.at.toISOString()),
    column((c) => c.window.startMinute), column((c) => c.window.endMinute),
  ]);
  const actual = got.map((r) => `${r.kind}|${r.reason ?? ''}|${r.until ? new Date(r.until).toISOString() : ''}`);
  const disagreements = actual
    .map((sql, i) => ({ sql, ts: expected[i]!, at: cases[i]!.at.toISOString(), zone: cases[i]!.timezone, window: cases[i]!.window }))
    .filter((d) => d.sql !== d.ts);
  expect(disagreements.slice(0, 5)).toEqual([]);
  // The matrix reaches every verdict and reason, so agreement is not agreement on one answer.
  const reasons = new Set(expected.map((e) => e.split('|').slice(0, 2).join('|')));
  expect([...reasons].sort()).toEqual([
    'assign|', 'defer|cooldown', 'defer|daily attempt cap reached', 'defer|outside the calling window',
    'remove|already converted', 'remove|do not call', 'remove|no requirement pending', 'remove|score inactive',
    'remove|signature already obtained',
  ]);
});
