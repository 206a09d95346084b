import { createHash } from 'node:crypto';
import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let agent: number;

beforeAll(async () => {
  server = await startTestServer();
  agent = await seed(server.db).agent();
});
afterAll(() => server.close());

const CREATE = `mutation($role: Role!, $agentId: ID) { createApiKey(role: $role, agentId: $agentId) { id key role agentId prefix } }`;

it('refuses a request without a key, or with an unknown one, as UNAUTHENTICATED (401)', async () => {
  const none = await server.client(null).request('{ queues { type } }');
  expect(none.status).toBe(401);
  expect(none.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  const unknown = await server.client('cq_not-a-real-key').request('{ queues { type } }');
  expect(unknown.status).toBe(401);
  expect(unknown.errors![0]!.message).toMatch(/unknown or revoked/);
});

it('creates keys of every role, stores only their hash, and each key works with its role', async () => {
  for (const role of ['VIEWER', 'INTEGRATOR', 'ADMIN']) {
    const { createApiKey } = await server.admin.data(CREATE, { role });
    expect(createApiKey).toMatchObject({ role, agentId: null });
    expect(createApiKey.key).toMatch(/^cq_[A-Za-z0-9_-]{32}$/);
    const viewer = await server.client(createApiKey.key).data('{ viewer { role agentId } }');
    expect(viewer.viewer).toEqual({ role, agentId: null });
    const stored = await server.db.sql(`SELECT key_hash FROM api_keys WHERE id = $1`, [createApiKey.id]);
    expect(stored[0]!.key_hash).toBe(createHash('sha256').update(createApiKey.key).digest('hex'));
    const leaked = await server.db.sql(`SELECT count(*)::int AS n FROM api_keys WHERE key_hash = $1 OR key_prefix = $1 OR label = $1`, [createApiKey.key]);
    expect(leaked[0]!.n).toBe(0);
  }
  const { createApiKey } = await server.admin.data(CREATE, { role: 'AGENT', agentId: String(agent) });
  const viewer = await server.client(createApiKey.key).data('{ viewer { role agentId } }');
  expect(viewer.viewer).toEqual({ role: 'AGENT', agentId: String(agent) });
});

describe('createApiKey refusals (nothing is created)', () => {
  let before: number;
  beforeEach(async () => {
    before = (await server.db.sql(`SELECT count(*)::int AS n FROM api_keys`))[0]!.n;
  });
  afterEach(async () => {
    expect((await server.db.sql(`SELECT count(*)::int AS n FROM api_keys`))[0]!.n).toBe(before);
  });

  it.each(['VIEWER', 'INTEGRATOR', 'AGENT'])('a %s key may not create keys (FORBIDDEN)', async (role) => {
    const { createApiKey } = await server.admin.data(CREATE, { role, agentId: role === 'AGENT' ? String(agent) : null });
    before += 1;
    const result = await server.client(createApiKey.key).request(CREATE, { role: 'ADMIN' });
    expect(result.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    expect(result.errors![0]!.message).toMatch(/needs the ADMIN role/);
  });

  it('an AGENT key without an agent, or another role with one → BAD_USER_INPUT', async () => {
    expect(await server.admin.errorCode(CREATE, { role: 'AGENT' })).toBe('BAD_USER_INPUT');
    expect(await server.admin.errorCode(CREATE, { role: 'VIEWER', agentId: String(agent) })).toBe('BAD_USER_INPUT');
  });

  it('an unknown agent → NOT_FOUND; a malformed agent id → BAD_USER_INPUT; an unknown role → validation error', async () => {
    expect(await server.admin.errorCode(CREATE, { role: 'AGENT', agentId: '99999' })).toBe('NOT_FOUND');
    expect(await server.admin.errorCode(CREATE, { role: 'AGENT', agentId: 'abc' })).toBe('BAD_USER_INPUT');
    expect(await server.admin.errorCode(`mutation { createApiKey(role: OWNER) { key } }`)).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

it('accepts the ADMIN_API_KEY of the environment as an ADMIN key', async () => {
  const data = await server.admin.data('{ viewer { role } }');
  expect(data.viewer.role).toBe('ADMIN');
});
