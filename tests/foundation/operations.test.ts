import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase } from '../support/database.js';
import { startTestServer, testConfig, type TestServer } from '../support/server.js';

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer();
  base = server.app.url.replace('/graphql', '');
});
afterAll(() => server.close());

it('/healthz says the process is up', async () => {
  const response = await fetch(`${base}/healthz`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: 'ok' });
});

it('/readyz is ready with every migration applied, and lists pending ones otherwise', async () => {
  const ok = await fetch(`${base}/readyz`);
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual({ status: 'ready', pendingMigrations: [] });
  const [last] = await server.db.sql(`DELETE FROM mikro_orm_migrations WHERE id = (SELECT max(id) FROM mikro_orm_migrations) RETURNING name`);
  try {
    const pending = await fetch(`${base}/readyz`);
    expect(pending.status).toBe(503);
    expect(((await pending.json()) as any).pendingMigrations).toEqual([last!.name]);
  } finally {
    await server.db.sql(`INSERT INTO mikro_orm_migrations (name) VALUES ($1)`, [last!.name]);
  }
});

it('/metrics exposes Prometheus counters, including GraphQL errors by code', async () => {
  await server.client(null).request('{ viewer { role } }');
  const text = await (await fetch(`${base}/metrics`)).text();
  expect(text).toMatch(/callqueue_graphql_errors_total\{code="UNAUTHENTICATED"\} [1-9]/);
  expect(text).toMatch(/callqueue_db_statements_total \d+/);
  expect(text).toMatch(/callqueue_http_requests_total\{route="\/graphql",status="401"\}/);
});

it('echoes a request id, or makes one', async () => {
  const given = await server.admin.request('{ viewer { role } }', undefined, { 'x-request-id': 'trace-123' });
  expect(given.headers.get('x-request-id')).toBe('trace-123');
  const made = await server.admin.request('{ viewer { role } }');
  expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
});

it('an unknown path is a 404 that points at /graphql', async () => {
  const response = await fetch(`${base}/nope`);
  expect(response.status).toBe(404);
});

it('close() finishes in-flight requests, then refuses new connections, and is idempotent', async () => {
  const db = await createTestDatabase();
  const app = await createApp({ config: testConfig(), databaseUrl: db.url, logger: createLogger('silent') });
  try {
    // A request that holds a connection for a moment while shutdown starts.
    const inFlight = fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${testConfig().ADMIN_API_KEY}` },
      body: JSON.stringify({ query: '{ agents { id } queues { depth } }' }),
    });
    await new Promise((r) => setTimeout(r, 5));
    const closing = Promise.all([app.close(), app.close()]);
    const response = await inFlight;
    expect(response.status).toBe(200);
    await closing;
    await expect(fetch(app.url)).rejects.toThrow();
  } finally {
    await app.close();
    await db.drop();
  }
});
