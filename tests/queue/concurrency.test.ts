import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { DAYTIME } from '../support/zones.js';

let server: TestServer;
let s: ReturnType<typeof seed>;

beforeAll(async () => {
  server = await startTestServer({ DB_POOL_SIZE: '20' });
  s = seed(server.db);
});
afterAll(() => server.close());

const CLAIM = `mutation($a: ID!) { assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { id } }`;
const DONE = `mutation($e: ID!) { recordCallOutcome(input: { entryId: $e, outcome: ANSWERED }) { entry { status } } }`;

it('40 agents claiming 200 entries concurrently over HTTP: each entry assigned once, none lost', async () => {
  const zone = DAYTIME();
  const entries = new Set<string>();
  for (let i = 0; i < 200; i += 1) {
    const u = await s.claimant({ timezone: zone });
    entries.add(String(await s.entry({ userId: u, priorityScore: (i * 37) % 9000 })));
  }
  const agents = [];
  for (let i = 0; i < 40; i += 1) agents.push(await s.agent());
  const claimedBy = new Map<string, number[]>();
  await Promise.all(agents.map(async (agent) => {
    for (;;) {
      const { assignNextUser } = await server.admin.data(CLAIM, { a: String(agent) });
      if (!assignNextUser) return;
      claimedBy.set(assignNextUser.id, [...(claimedBy.get(assignNextUser.id) ?? []), agent]);
      await server.admin.data(DONE, { e: assignNextUser.id });
    }
  }));
  expect([...claimedBy.values()].filter((byAgents) => byAgents.length > 1)).toEqual([]);
  expect(new Set(claimedBy.keys())).toEqual(entries);
  const rows = await server.db.sql(`SELECT status, count(*)::int AS n FROM unsigned_users_queue GROUP BY status`);
  expect(rows).toEqual([{ status: 'completed', n: 200 }]);
  const sessions = await server.db.sql(`SELECT count(*)::int AS n, count(DISTINCT queue_entry_id)::int AS entries FROM call_sessions`);
  expect(sessions[0]).toEqual({ n: 200, entries: 200 });
  // Several agents took work (the claims really ran side by side).
  expect(new Set([...claimedBy.values()].flat()).size).toBeGreaterThan(10);
});

it('one agent claiming twice at once gets one entry and a CONFLICT', async () => {
  const zone = DAYTIME();
  for (let i = 0; i < 3; i += 1) await s.entry({ userId: await s.claimant({ timezone: zone }), priorityScore: 100 + i });
  const agent = await s.agent();
  const results = await Promise.all([1, 2, 3].map(() => server.admin.request(CLAIM, { a: String(agent) })));
  const assigned = results.filter((r) => r.data?.assignNextUser);
  const refused = results.filter((r) => r.errors?.[0]?.extensions?.code === 'CONFLICT');
  expect(assigned).toHaveLength(1);
  expect(refused).toHaveLength(2);
  expect(refused[0]!.errors![0]!.message).toMatch(/already holds 1 assigned entry/);
  const held = await server.db.sql(`SELECT count(*)::int AS n FROM unsigned_users_queue WHERE assigned_to_agent_id = $1 AND status = 'assigned'`, [agent]);
  expect(held[0]!.n).toBe(1);
});
