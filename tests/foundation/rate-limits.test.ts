import http from 'node:http';
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

/** Sends a body of `bytes` in 1 MB chunks (the client never holds it whole), as far as the server lets it. */
function postStreamed(bytes: number, apiKey: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(server.app.url, {
      method: 'POST', headers: { 'content-type': 'application/json', 'content-length': bytes, authorization: `Bearer ${apiKey}` },
    }, (response) => {
      let body = '';
      response.on('data', (c) => { body += c; });
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    });
    request.on('error', reject);
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!request.write(chunk)) return void request.once('drain', pump);
      }
      request.end();
    };
    pump();
  });
}

it('answers a 50 MB body with 413, not a reset connection, without holding the body in memory', async () => {
  const sender = await key(); // a budget of its own (this file's limits are small)
  const rss = process.memoryUsage().rss;
  for (let i = 0; i < 3; i += 1) {
    const response = await postStreamed(50 * 1024 * 1024, sender);
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body).errors[0].message).toMatch(/larger than the 100000 bytes allowed/);
  }
  // The server runs in this process: 150 MB went through it; its memory grew by far less.
  expect(process.memoryUsage().rss - rss).toBeLessThan(40 * 1024 * 1024);
  expect((await server.client(await key()).request('{ viewer { role } }')).status).toBe(200);
});
