import http from 'node:http';
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

it('close() finishes a request already in flight, then refuses new connections, and is idempotent', async () => {
  const db = await createTestDatabase();
  const app = await createApp({ config: testConfig(), databaseUrl: db.url, logger: createLogger('silent') });
  try {
    // Headers and half the body are sent before shutdown starts: the request is in flight.
    const body = JSON.stringify({ query: '{ agents { id } queues { depth } }' });
    const { port } = new URL(app.url);
    let received = '';
    const response = new Promise<number>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port: Number(port), path: '/graphql', method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${testConfig().ADMIN_API_KEY}` },
      }, (res) => {
        res.on('data', (chunk) => { received += chunk; });
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      req.write(body.slice(0, 10));
      // Time for the server to parse the headers (on a loaded machine 50 ms was not always
      // enough: a connection whose request is not parsed yet is idle, and closed).
      setTimeout(() => {
        closing = Promise.all([app.close(), app.close()]);
        setTimeout(() => req.end(body.slice(10)), 50);
      }, 300);
    });
    let closing: Promise<unknown> = Promise.resolve();
    expect(await response).toBe(200);
    expect(JSON.parse(received).data.agents).toEqual([]);
    await closing;
    await expect(fetch(app.url)).rejects.toThrow();
  } finally {
    await app.close();
    await db.drop();
  }
});
