import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * DataLoader batching: the dashboard query (both queues, N entries each, with assignedAgent,
 * score, claimant and callback) costs the same few SQL statements whatever N is.
 */
const DASHBOARD = `query($n: Int!) { queues { type entries(first: $n) { nodes {
  id priorityScore assignedAgent { name } score { currentScore } claimant { firstName } callback { scheduledFor } } } } }`;

let server: TestServer;

beforeAll(async () => {
  // The counter is per instance: the migration-phase poll (every second by default) and the
  // periodic jobs would add their statements to whichever query they happen to overlap, so this
  // instance polls hourly and runs no job.
  server = await startTestServer({ MIGRATION_PHASE_POLL_MS: '3600000', WEBHOOK_POLL_MS: '3600000', EVENT_SAFE_POINT_MS: '3600000', LINES_JOB_CRON: '', CALLBACK_JOB_CRON: '' });
  const s = seed(server.db);
  const agents = [];
  for (let i = 0; i < 5; i += 1) agents.push(await s.agent());
  await s.bulkEntries('unsigned_users', 600, agents);
  await s.bulkEntries('outstanding_requests', 600, agents.slice(0, 2));
});
afterAll(() => server.close());

async function statementsFor(n: number): Promise<{ statements: number; entries: number }> {
  const before = (await server.app.metrics.dbStatements.get()).values[0]!.value;
  const data = await server.admin.data(DASHBOARD, { n });
  const after = (await server.app.metrics.dbStatements.get()).values[0]!.value;
  const nodes = data.queues.flatMap((q: any) => q.entries.nodes);
  expect(nodes.some((e: any) => e.assignedAgent && e.callback && e.score && e.claimant)).toBe(true);
  return { statements: after - before, entries: nodes.length };
}

it('runs the dashboard query in at most 6 statements, the same at 10, 100 and 500 entries per queue', async () => {
  const counts = [];
  for (const n of [10, 100, 500]) {
    const { statements, entries } = await statementsFor(n);
    expect(entries).toBe(2 * n);
    counts.push(statements);
  }
  expect(counts[0]).toBeLessThanOrEqual(6);
  expect(new Set(counts).size).toBe(1);
});
