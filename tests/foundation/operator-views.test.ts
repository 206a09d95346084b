import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { DAYTIME } from '../support/zones.js';

/** queue_health and agent_workload (views for psql and BI tools) give the API's own figures. */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ LINES_JOB_CRON: '', LEASE_JOB_CRON: '' });
});
afterAll(() => server.close());

it('queue_health and agent_workload agree with queues and Agent.workload', async () => {
  const s = seed(server.db);
  const [a, b] = [await s.agent(), await s.agent()];
  for (let i = 0; i < 6; i += 1) {
    const u = await s.claimant({ timezone: DAYTIME(), signatureStatus: i % 2 ? 'obtained' : 'missing' });
    if (i % 2) await s.requirement(u);
    await server.admin.data(`mutation($u: ID!, $q: QueueType!) { enqueueUser(input: { userId: $u, queueType: $q }) { id } }`,
      { u: String(u), q: i % 2 ? 'OUTSTANDING_REQUESTS' : 'UNSIGNED_USERS' });
  }
  await server.db.sql(`UPDATE unsigned_users_queue SET available_from = now() + interval '1 hour' WHERE id = (SELECT min(id) FROM unsigned_users_queue)`);
  const claimed = (await server.admin.data(`mutation($a: ID!) { assignNextUser(agentId: $a, queueType: OUTSTANDING_REQUESTS) { id userId } }`, { a: String(a) })).assignNextUser;
  await server.db.sql(`INSERT INTO call_sessions (user_id, agent_id, call_type, status, outcome, started_at, ended_at)
    VALUES ($1, $2, 'direct', 'completed', 'no_answer', now() - interval '10 minutes', now() - interval '7 minutes')`, [claimed.userId, b]);

  const api = await server.admin.data(`{ queues { type depth availableNow assignedCount oldestPendingSince averageWaitSeconds }
    agents { id name workload { callsToday talkTimeSecondsToday conversionsToday currentEntry { id } } } }`);
  const health = await server.db.sql(`SELECT * FROM queue_health ORDER BY queue_type DESC`);
  expect(health.map((h) => [h.queue_type.toUpperCase(), h.depth, h.claimable_now, h.assigned, h.lapsed_leases])).toEqual(
    api.queues.map((q: any) => [q.type, q.depth, q.availableNow, q.assignedCount, 0]));
  for (const q of api.queues) {
    const h = health.find((r) => r.queue_type.toUpperCase() === q.type)!;
    expect(new Date(h.oldest_pending_since).toISOString()).toBe(q.oldestPendingSince);
    expect(Math.abs(h.average_wait_seconds - q.averageWaitSeconds)).toBeLessThan(5);
  }
  const workload = await server.db.sql(`SELECT * FROM agent_workload WHERE is_active ORDER BY agent_id`);
  expect(workload.map((w) => [String(w.agent_id), w.name, w.calls_today, w.talk_time_seconds_today, w.conversions_today, w.current_entry_id === null ? null : String(w.current_entry_id)]))
    .toEqual(api.agents.map((g: any) => [g.id, g.name, g.workload.callsToday, g.workload.talkTimeSecondsToday, g.workload.conversionsToday, g.workload.currentEntry?.id ?? null]));
  expect(workload.find((w) => Number(w.agent_id) === a)!.current_entry_id).toBe(Number(claimed.id));
  expect(workload.find((w) => Number(w.agent_id) === b)).toMatchObject({ calls_today: 1, talk_time_seconds_today: 180 });
});
