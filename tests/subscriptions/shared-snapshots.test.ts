import { seed } from '../support/seed.js';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../support/server.js';
import { connect, type Subscriber } from '../support/subscriber.js';

/** Snapshot subscriptions of many screens cost the server one execution per change, not one per screen. */
let server: TestServer;

beforeAll(async () => {
  // Nothing else of the server's sends statements meanwhile: the count is the subscriptions' alone.
  server = await startTestServer({
    MIGRATION_PHASE_POLL_MS: '3600000', WEBHOOK_POLL_MS: '3600000', EVENT_SAFE_POINT_MS: '3600000', QUEUE_SAMPLE_CRON: '', LINES_JOB_CRON: '',
    CALLBACK_JOB_CRON: '', LEASE_JOB_CRON: '', LIVE_COUNTS_CRON: '', PRIORITY_REFRESH_CRON: '', REPOPULATE_CRON: '',
  });
});
afterAll(() => server.close());

const statements = async () => (await server.app.metrics.dbStatements.get()).values[0]!.value;

it('ten screens following queueStats: one stats read per change', async () => {
  const screens: Subscriber[] = Array.from({ length: 10 }, () => connect(server.app.url, TEST_ADMIN_KEY));
  try {
    const streams = screens.map((s) => s.subscribe(`subscription { queueStats(queueType: UNSIGNED_USERS) { depth } }`));
    for (const stream of streams) await stream.next();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const user = await seed(server.db).claimant();
    const before = await statements();
    await server.db.sql(`SELECT pg_notify('callqueue_events', json_build_object('topic', 'queueChanged', 'kind', 'ENTRY_ADDED',
      'queueType', 'unsigned_users', 'userId', $1::bigint, 'entryId', NULL, 'at', now())::text)`, [user]);
    for (const stream of streams) await stream.next(3000);
    expect(await statements() - before).toBe(1);
  } finally {
    await Promise.all(screens.map((s) => s.dispose()));
  }
});
