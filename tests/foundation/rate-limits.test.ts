import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../support/server.js';
import { connect } from '../support/subscriber.js';

/** Budgets per key: requests a minute (with a burst), WebSocket connections, subscriptions per connection; and big bodies. */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    RATE_LIMIT_PER_MINUTE: '60', RATE_LIMIT_BURST: '5', MAX_WS_CONNECTIONS_PER_KEY: '2', MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
    MAX_BODY_BYTES: '100000',
  });
});
afterAll(() => server.close());

const key = async (role = 'VIEWER') => (await server.admin.data(`mutation($r: Role!) { createApiKey(role: $r) { key } }`, { r: role })).createApiKey.key as string;

it('answers a key over its budget with 429, Retry-After and a coded error, and other keys normally', async () => {
  const busy = server.client(await key());
  const statuses: number[] = [];
  for (let i = 0; i < 7; i += 1) statuses.push((await busy.request('{ viewer { role } }')).status);
  expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]); // the burst
  const refused = await busy.request('{ viewer { role } }');
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(refused.errors![0]).toMatchObject({ extensions: { code: 'RATE_LIMITED' }, message: expect.stringMatching(/at most 60 a minute.*try again in \d+ s/) });
  // A refused write changes nothing.
  const before = await server.db.sql(`SELECT count(*)::int AS n FROM api_keys`);
  expect((await busy.request(`mutation { createApiKey(role: VIEWER) { key } }`)).status).toBe(429);
  expect(await server.db.sql(`SELECT count(*)::int AS n FROM api_keys`)).toEqual(before);
  expect((await server.client(await key()).request('{ viewer { role } }')).status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 1100)); // one token a second comes back
  expect((await busy.request('{ viewer { role } }')).status).toBe(200);
});

it('closes a key\'s connection over its WebSocket budget, and refuses a subscription over a connection\'s', async () => {
  const viewer = await key();
  const sockets = [connect(server.app.url, viewer), connect(server.app.url, viewer)];
  try {
    const streams = sockets.map((s) => s.subscribe('subscription { liveStatus { eventsFlowing } }'));
    for (const s of streams) await s.next();
    const third = connect(server.app.url, viewer);
    expect(await third.closed).toMatchObject({ code: 4429, reason: expect.stringMatching(/at most 2/) });
    await third.dispose();
    // Two subscriptions run on the first connection; a third is refused there.
    const second = sockets[0]!.subscribe('subscription { queueStats(queueType: UNSIGNED_USERS) { depth } }');
    await second.next();
    const over = await sockets[0]!.subscribe('subscription { lineStatusChanged { active } }').next();
    expect(over.errors![0]).toMatchObject({ extensions: { code: 'RATE_LIMITED' }, message: expect.stringMatching(/at most 2 subscriptions/) });
  } finally {
    await Promise.all(sockets.map((s) => s.dispose()));
  }
  // The environment's key has its own budget.
  const admin = connect(server.app.url, TEST_ADMIN_KEY);
  await admin.subscribe('subscription { liveStatus { eventsFlowing } }').next();
  await admin.dispose();
});

it('answers a 50 MB body with 413, not a reset connection, without holding the body in memory', async () => {
  const body = Buffer.alloc(50 * 1024 * 1024, 'x');
  const rss = process.memoryUsage().rss;
  for (let i = 0; i < 3; i += 1) {
    const response = await fetch(server.app.url, {
      method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    expect(response.status).toBe(413);
    expect((await response.json()).errors[0].message).toMatch(/larger than the 100000 bytes allowed/);
  }
  // Same process as the server: its memory grows by far less than the 150 MB it was sent.
  expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024);
  expect((await server.admin.request('{ viewer { role } }')).status).toBe(200);
});
