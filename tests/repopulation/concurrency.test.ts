import { GraphQLClient } from '../support/client.js';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../support/server.js';

/**
 * While queues are rebuilt: readers never see an empty or half-built queue, and agents
 * claiming get an entry every time (eligible entries exist throughout).
 */
let server: TestServer;
const CLAIMANTS = 3000;
const TOP_N = 1000;

beforeAll(async () => {
  server = await startTestServer({ QUEUE_TOP_N: String(TOP_N), CALLING_WINDOW_START: '00:00', CALLING_WINDOW_END: '23:59' });
  await server.db.sql(`INSERT INTO claimants (user_id, claim_id, timezone, signature_status, signature_missing_since)
    SELECT 50000 + g, 'C' || g, 'UTC', 'missing', now() - interval '1 day' FROM generate_series(1, ${CLAIMANTS}) g`);
  await server.db.sql(`INSERT INTO user_call_scores (user_id, current_score, current_queue_type)
    SELECT 50000 + g, g % 5000, 'unsigned_users' FROM generate_series(1, ${CLAIMANTS}) g`);
  await server.db.sql(`INSERT INTO agents (name, email, status) VALUES ('A', 'a@c', 'available'), ('B', 'b@c', 'available')`);
});
afterAll(() => server.close());

it('readers and claiming agents during five rebuilds that reshuffle the queue', async () => {
  await server.admin.data(`mutation { repopulateQueues { id } }`);
  const agents = (await server.db.sql(`SELECT id FROM agents WHERE email IN ('a@c', 'b@c')`)).map((r) => r.id as number);
  let rebuilding = true;
  const depths: number[] = [];
  const claims: (string | null)[] = [];

  const readers = Array.from({ length: 4 }, async () => {
    const client = new GraphQLClient(server.app.url, TEST_ADMIN_KEY);
    while (rebuilding) depths.push((await client.data(`{ queue(type: UNSIGNED_USERS) { depth } }`)).queue.depth);
  });
  const claimers = agents.map(async (agent) => {
    while (rebuilding) {
      const entry = (await server.admin.data(`mutation($a: ID!) { assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { id } }`, { a: String(agent) })).assignNextUser;
      claims.push(entry?.id ?? null);
      if (entry) await server.admin.data(`mutation($e: ID!) { releaseEntry(entryId: $e, reason: "test") { id } }`, { e: entry.id });
    }
  });
  const runs = [];
  for (let i = 0; i < 5; i += 1) {
    // New attempt counts each time (the policy takes 150 points off each), so each rebuild swaps a large part of the queue.
    await server.db.sql(`UPDATE user_call_scores SET total_attempts = (user_id * 7 + ${i * 1013}) % 11`);
    runs.push((await server.admin.data(`mutation { repopulateQueues { status queues { added removed } } }`)).repopulateQueues);
  }
  rebuilding = false;
  await Promise.all([...readers, ...claimers]);

  expect(runs.every((r) => r.status === 'SUCCEEDED')).toBe(true);
  expect(runs.reduce((n, r) => n + r.queues[0].added + r.queues[0].removed, 0)).toBeGreaterThan(1000);
  expect(depths.length).toBeGreaterThan(10);
  // Pending entries: the top N minus the (at most two) assigned ones, never an emptied queue.
  expect(Math.min(...depths)).toBeGreaterThanOrEqual(TOP_N - agents.length);
  expect(claims.length).toBeGreaterThan(5);
  expect(claims.filter((c) => c === null)).toEqual([]);
});
