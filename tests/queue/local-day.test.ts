import { createOrm, type Orm } from '../../src/db/orm.js';
import { loadFacts } from '../../src/modules/facts.sql.js';
import type { Operation } from '../../src/modules/operation.js';
import { parseWindow } from '../../src/modules/queue/calling-window.js';
import { contactFactsOf, contactVerdict } from '../../src/modules/queue/contact-policy.js';
import { recordAttempt } from '../../src/modules/score/score.sql.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { seed } from '../support/seed.js';

/**
 * The daily attempt cap counts the claimant's own calendar day, not the UTC day: with a clock
 * the test controls (the attempt and the facts are given their instant), three calls in one
 * local day and never a fourth, whatever the UTC date says — east and west of UTC.
 */
let db: TestDatabase;
let orm: Orm;
beforeAll(async () => {
  db = await createTestDatabase();
  orm = await createOrm({ url: db.url, poolSize: 2 });
});
afterAll(async () => {
  await orm.close(true);
  await db.drop();
});

const settings = { window: parseWindow('08:00', '21:00'), dailyAttemptCap: 3 };

async function attemptsAt(zone: string, attempts: string[], check: string) {
  const userId = await seed(db).claimant({ timezone: zone });
  const op = { em: orm.em.fork() } as Operation;
  for (const at of attempts) await recordAttempt(op, userId, 'no_answer', 0, new Date(at));
  const facts = (await loadFacts(orm.em.fork(), userId, false, new Date(check)))!;
  return { today: facts.score!.attemptsToday, verdict: contactVerdict(contactFactsOf(facts), new Date(check), settings) };
}

it('west of UTC: three calls on 1 December in Los Angeles, across UTC midnight, leave no fourth that evening', async () => {
  // 15:00, 17:00 and 19:00 on 1 December in Los Angeles are 23:00 on 1 December and 01:00, 03:00 on 2 December UTC.
  const evening = await attemptsAt('America/Los_Angeles',
    ['2026-12-01T23:00:00Z', '2026-12-02T01:00:00Z', '2026-12-02T03:00:00Z'], '2026-12-02T04:00:00Z');
  expect(evening.today).toBe(3);
  expect(evening.verdict).toEqual({ kind: 'not_now', reason: 'daily attempt cap reached', until: new Date('2026-12-02T16:00:00Z') });
  // The next local morning (08:30 on 2 December there) the count starts again.
  const morning = await attemptsAt('America/Los_Angeles',
    ['2026-12-01T23:00:00Z', '2026-12-02T01:00:00Z', '2026-12-02T03:00:00Z'], '2026-12-02T16:30:00Z');
  expect(morning).toEqual({ today: 0, verdict: { kind: 'allowed' } });
});

it('east of UTC: three calls on 2 December in Tokyo, across UTC midnight, leave no fourth that day', async () => {
  // 08:30, 10:00 and 14:00 on 2 December in Tokyo are 23:30 on 1 December and 01:00, 05:00 on 2 December UTC.
  const day = await attemptsAt('Asia/Tokyo', ['2026-12-01T23:30:00Z', '2026-12-02T01:00:00Z', '2026-12-02T05:00:00Z'], '2026-12-02T10:00:00Z');
  expect(day.today).toBe(3);
  expect(day.verdict).toMatchObject({ kind: 'not_now', reason: 'daily attempt cap reached', until: new Date('2026-12-02T23:00:00Z') });
  // Two calls late on 1 December there do not count on 2 December there, though every instant is 1 December in UTC.
  const split = await attemptsAt('Asia/Tokyo', ['2026-12-01T14:00:00Z', '2026-12-01T14:30:00Z', '2026-12-01T16:00:00Z'], '2026-12-01T23:30:00Z');
  expect(split).toEqual({ today: 1, verdict: { kind: 'allowed' } });
});
