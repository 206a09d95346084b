import { loadDemoData } from '../../src/demo/demo-data.sql.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** `npm start -- --demo`: the demo's figures are the policy's, so the console can explain each one. */
let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(() => server.close());

it('loads a demo whose every live entry is explained exactly by its score breakdown', async () => {
  const loaded = await loadDemoData(server.app.orm.em.fork());
  expect(loaded.loaded).toBe(true);
  const entries: { userId: string; priorityScore: number; callback: unknown }[] = [];
  for (const type of ['UNSIGNED_USERS', 'OUTSTANDING_REQUESTS']) {
    let after: string | null = null;
    do {
      const page: any = (await server.admin.data(`query($t: QueueType!, $a: String) { queue(type: $t) {
        entries(first: 500, after: $a) { pageInfo { hasNextPage endCursor } nodes { userId priorityScore callback { id } } } } }`,
      { t: type, a: after })).queue.entries;
      entries.push(...page.nodes);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
  }
  expect(entries.length).toBeGreaterThan(1000);
  const mismatches: unknown[] = [];
  // 25 claimants a request: within MAX_ALIASES.
  for (let i = 0; i < entries.length; i += 25) {
    const batch = entries.slice(i, i + 25);
    const query = `{ ${batch.map((e, j) => `b${j}: scoreBreakdown(userId: "${e.userId}") { total }`).join(' ')} }`;
    const data = await server.admin.data(query);
    batch.forEach((e, j) => {
      if (data[`b${j}`].total !== e.priorityScore) mismatches.push({ userId: e.userId, priorityScore: e.priorityScore, total: data[`b${j}`].total });
    });
  }
  expect(mismatches).toEqual([]);
  // And the score rows agree with the entries they order (callback entries carry 9999 instead).
  const [stale] = await server.db.sql(`SELECT count(*)::int AS n FROM (
      SELECT user_id, priority_score FROM unsigned_users_queue WHERE status IN ('pending', 'assigned') AND callback_id IS NULL
      UNION ALL SELECT user_id, priority_score FROM outstanding_requests_queue WHERE status IN ('pending', 'assigned') AND callback_id IS NULL) e
    JOIN user_call_scores s USING (user_id) WHERE s.current_score <> e.priority_score`);
  expect(stale!.n).toBe(0);
});
