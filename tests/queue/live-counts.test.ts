import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { seed } from '../support/seed.js';
import { QUEUE_TABLE } from '../../src/modules/queue-type.js';

/**
 * The maintained live counts (migration 0023) against the entries themselves, after raw SQL of
 * every kind that makes an entry live or not: many-row inserts, updates either way, claims
 * (which change no count), deletes, TRUNCATE, compactions alone and among concurrent writers.
 */
let db: TestDatabase;
let s: ReturnType<typeof seed>;
let agent: number;

beforeAll(async () => {
  db = await createTestDatabase();
  s = seed(db);
  agent = await s.agent();
});
afterAll(() => db.drop());

const TABLES = QUEUE_TABLE.separated;

async function expectCountsRight(): Promise<void> {
  for (const [queue, table] of Object.entries(TABLES)) {
    const [row] = await db.sql(`SELECT (SELECT count(*)::int FROM ${table} WHERE status IN ('pending', 'assigned')) AS counted,
      (SELECT coalesce(sum(delta), 0)::int FROM queue_live_counts WHERE queue_type = $1) AS maintained`, [queue]);
    expect({ queue, maintained: row!.maintained }).toEqual({ queue, maintained: row!.counted });
  }
}

async function claimants(n: number): Promise<number[]> {
  const users = [];
  for (let i = 0; i < n; i += 1) users.push(await s.claimant());
  return users;
}

it('follows inserts, closes, revivals, claims and deletes made in raw SQL', async () => {
  const users = await claimants(6);
  await db.sql(`INSERT INTO unsigned_users_queue (user_id, claim_id, priority_score) SELECT u, 'c', 1 FROM unnest($1::bigint[]) u`, [users.slice(0, 4)]);
  await db.sql(`INSERT INTO outstanding_requests_queue (user_id, claim_id, priority_score, status, closed_at) VALUES ($1, 'c', 1, 'completed', now())`, [users[4]]);
  await db.sql(`INSERT INTO outstanding_requests_queue (user_id, claim_id, priority_score) VALUES ($1, 'c', 1)`, [users[5]]);
  await expectCountsRight();
  await db.sql(`UPDATE unsigned_users_queue SET status = 'assigned', assigned_to_agent_id = $2, assigned_at = now() WHERE user_id = $1`, [users[0], agent]);
  await db.sql(`UPDATE unsigned_users_queue SET status = 'removed', closed_at = now() WHERE user_id = ANY($1::bigint[])`, [users.slice(1, 3)]);
  await expectCountsRight();
  await db.sql(`UPDATE unsigned_users_queue SET status = 'pending', closed_at = NULL WHERE user_id = $1`, [users[1]]);
  await db.sql(`DELETE FROM unsigned_users_queue WHERE user_id = $1`, [users[3]]);
  await db.sql(`DELETE FROM outstanding_requests_queue WHERE user_id = $1`, [users[4]]);
  await expectCountsRight();
  // A refused insert leaves no count behind.
  await expect(db.sql(`INSERT INTO outstanding_requests_queue (user_id, claim_id, priority_score) VALUES ($1, 'c', 1)`, [users[1]])).rejects.toThrow(/live entry/);
  await expectCountsRight();
});

it('keeps the sums through compactions, also while writers insert and close entries', async () => {
  const [folded] = await db.sql(`SELECT callqueue_compact_live_counts() AS n`);
  expect(folded!.n).toBeGreaterThan(0);
  const [left] = await db.sql(`SELECT count(*)::int AS n FROM queue_live_counts`);
  expect(left!.n).toBe(2);
  await expectCountsRight();

  const users = await claimants(40);
  const writers = users.map(async (user, i) => {
    const table = i % 2 ? TABLES.unsigned_users : TABLES.outstanding_requests;
    const [entry] = await db.sql(`INSERT INTO ${table} (user_id, claim_id, priority_score) VALUES ($1, 'c', 1) RETURNING id`, [user]);
    if (i % 3 === 0) await db.sql(`UPDATE ${table} SET status = 'completed', closed_at = now() WHERE id = $1`, [entry!.id]);
  });
  const compactions = Array.from({ length: 8 }, () => db.sql(`SELECT callqueue_compact_live_counts()`));
  await Promise.all([...writers, ...compactions]);
  await expectCountsRight();
});

it('starts again from nothing when a queue table is truncated', async () => {
  await db.sql(`TRUNCATE unsigned_users_queue`);
  await expectCountsRight();
  const [row] = await db.sql(`SELECT coalesce(sum(delta), 0)::int AS n FROM queue_live_counts WHERE queue_type = 'unsigned_users'`);
  expect(row!.n).toBe(0);
  await s.entry({ userId: (await claimants(1))[0]! });
  await expectCountsRight();
});
