import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../support/server.js';
import { connect } from '../support/subscriber.js';
import { GraphQLClient } from '../support/client.js';

/**
 * The key lifecycle: list, expire, revoke, rotate — each audited; a revocation holds on every
 * instance within a second and closes the key's WebSockets there.
 */
let server: TestServer;

beforeAll(async () => {
  // A long cache: what is tested is that revocation does not wait for it.
  server = await startTestServer({ API_KEY_CACHE_SECONDS: '600' });
});
afterAll(() => server.close());

const CREATE = `mutation($role: Role!, $label: String, $expiresAt: DateTime) { createApiKey(role: $role, label: $label, expiresAt: $expiresAt) { id key role label expiresAt } }`;
const create = async (role = 'VIEWER', extra: Record<string, unknown> = {}) =>
  (await server.admin.data(CREATE, { role, label: `${role.toLowerCase()} key`, ...extra })).createApiKey;
const accepted = async (client: GraphQLClient) => (await client.request('{ viewer { role } }')).status === 200;

async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - started;
}

/** What a refused write must not have changed (using a key records when: that is not a change of it). */
const keyState = () => server.db.sql(`SELECT (SELECT json_agg(to_jsonb(k) - 'last_used_at' ORDER BY id) FROM api_keys k) AS keys,
  (SELECT count(*)::int FROM api_key_events) AS events`);

it('lists keys with their lifecycle, never the key or its hash, and records when each was last used', async () => {
  const key = await create('INTEGRATOR', { expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
  await server.client(key.key).data('{ viewer { role } }');
  await within(2000, async () => (await server.db.sql(`SELECT last_used_at FROM api_keys WHERE id = $1`, [key.id]))[0]!.last_used_at !== null);
  const { apiKeys } = await server.admin.data(`{ apiKeys { id prefix label role createdAt lastUsedAt expiresAt revokedAt usable } }`);
  expect(apiKeys.find((k: any) => k.id === key.id)).toMatchObject({
    label: 'integrator key', role: 'INTEGRATOR', prefix: key.key.slice(0, 8), expiresAt: key.expiresAt, revokedAt: null, usable: true,
    lastUsedAt: expect.any(String),
  });
  const fields = (await server.admin.data(`{ __type(name: "ApiKey") { fields { name } } }`)).__type.fields.map((f: any) => f.name);
  expect(fields.filter((f: string) => /^key$|hash/i.test(f))).toEqual([]);
  expect(JSON.stringify(apiKeys)).not.toContain(key.key);
});

it('a key revoked through one instance is refused by another within a second, and its WebSockets there are closed', async () => {
  const other = await server.startAnother({ API_KEY_CACHE_SECONDS: '600' });
  const key = await create('VIEWER');
  const there = new GraphQLClient(other.url, key.key);
  expect(await accepted(there)).toBe(true); // cached there for ten minutes
  const socket = connect(other.url, key.key);
  try {
    const live = socket.subscribe('subscription { liveStatus { eventsFlowing } }');
    await live.next();
    const revoked = (await server.admin.data(`mutation($id: ID!) { revokeApiKey(id: $id, reason: "left the company") { id revokedAt usable } }`, { id: key.id })).revokeApiKey;
    expect(revoked).toMatchObject({ id: key.id, revokedAt: expect.any(String), usable: false });
    const ms = await within(1000, async () => !(await accepted(there)));
    expect(ms).toBeLessThan(1000);
    expect(await socket.closed).toMatchObject({ code: 4403, reason: expect.stringMatching(/revoked or has expired/) });
  } finally {
    await socket.dispose();
    await other.close();
  }
  const events = (await server.admin.data(`query($id: ID!) { apiKeyEvents(keyId: $id) { action actor reason } }`, { id: key.id })).apiKeyEvents;
  expect(events).toEqual([
    { action: 'revoked', actor: 'ADMIN_API_KEY', reason: 'left the company' },
    { action: 'created', actor: 'ADMIN_API_KEY', reason: null },
  ]);
});

it('rotates a key: the new one works at once, the old one during the grace period only', async () => {
  const old = await create('INTEGRATOR');
  const rotated = (await server.admin.data(`mutation($id: ID!) { rotateApiKey(id: $id, graceMinutes: 30) { id key role label } }`, { id: old.id })).rotateApiKey;
  expect(rotated).toMatchObject({ role: 'INTEGRATOR', label: 'integrator key' });
  expect(await accepted(server.client(rotated.key))).toBe(true);
  expect(await accepted(server.client(old.key))).toBe(true);
  const [row] = await server.db.sql(`SELECT expires_at > now() + interval '29 minutes' AND expires_at <= now() + interval '30 minutes' AS graced FROM api_keys WHERE id = $1`, [old.id]);
  expect(row!.graced).toBe(true);
  // Rotated again with no grace: the previous key ends now.
  const again = (await server.admin.data(`mutation($id: ID!) { rotateApiKey(id: $id, graceMinutes: 0) { id key } }`, { id: rotated.id })).rotateApiKey;
  await within(1000, async () => !(await accepted(server.client(rotated.key))));
  expect(await accepted(server.client(again.key))).toBe(true);
  const { apiKeyEvents } = await server.admin.data(`query($id: ID!) { apiKeyEvents(keyId: $id) { action reason } }`, { id: rotated.id });
  expect(apiKeyEvents[0]).toMatchObject({ action: 'rotated', reason: expect.stringMatching(/valid 0 more minutes/) });
});

it('stops accepting a key when it expires, and closes its WebSockets then', async () => {
  const key = await create('VIEWER', { expiresAt: new Date(Date.now() + 1500).toISOString() });
  const socket = connect(server.app.url, key.key);
  try {
    const live = socket.subscribe('subscription { liveStatus { eventsFlowing } }');
    await live.next();
    expect(await accepted(server.client(key.key))).toBe(true);
    expect(await socket.closed).toMatchObject({ code: 4403 });
    expect(await accepted(server.client(key.key))).toBe(false);
  } finally {
    await socket.dispose();
  }
});

describe('refusals change nothing', () => {
  it('wrong role, unknown key, already revoked, a past expiry, a grace out of range', async () => {
    const viewer = await create('VIEWER');
    const target = await create('VIEWER');
    await server.admin.data(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: target.id });
    const before = await keyState();
    const asViewer = server.client(viewer.key);
    expect(await asViewer.errorCode(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: viewer.id })).toBe('FORBIDDEN');
    expect(await asViewer.errorCode(`mutation($id: ID!) { rotateApiKey(id: $id) { key } }`, { id: viewer.id })).toBe('FORBIDDEN');
    expect(await asViewer.errorCode(`{ apiKeys { id } }`)).toBe('FORBIDDEN');
    expect(await server.admin.errorCode(`mutation { revokeApiKey(id: "999999") { id } }`)).toBe('NOT_FOUND');
    expect(await server.admin.errorCode(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: target.id })).toBe('CONFLICT');
    expect(await server.admin.errorCode(`mutation($id: ID!) { rotateApiKey(id: $id) { key } }`, { id: target.id })).toBe('CONFLICT');
    expect(await server.admin.errorCode(CREATE, { role: 'VIEWER', expiresAt: new Date(Date.now() - 1000).toISOString() })).toBe('BAD_USER_INPUT');
    expect(await server.admin.errorCode(CREATE, { role: 'VIEWER', label: ' ' })).toBe('BAD_USER_INPUT');
    for (const grace of [-1, 10_081]) {
      expect(await server.admin.errorCode(`mutation($id: ID!, $g: Int) { rotateApiKey(id: $id, graceMinutes: $g) { key } }`, { id: viewer.id, g: grace })).toBe('BAD_USER_INPUT');
    }
    expect(await keyState()).toEqual(before);
    expect(await accepted(asViewer)).toBe(true);
  });

  it('the last usable ADMIN key cannot be revoked when ADMIN_API_KEY is not set', async () => {
    const admin = await create('ADMIN');
    // Every other ADMIN key goes; an instance without ADMIN_API_KEY then has this one only.
    await server.db.sql(`UPDATE api_keys SET revoked_at = now() WHERE role = 'ADMIN' AND id <> $1 AND revoked_at IS NULL`, [admin.id]);
    const bare = await server.startAnother({ ADMIN_API_KEY: undefined as never });
    try {
      const client = new GraphQLClient(bare.url, admin.key);
      const before = await keyState();
      const refused = await client.request(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: admin.id });
      expect(refused.errors![0]).toMatchObject({ extensions: { code: 'CONFLICT' }, message: expect.stringMatching(/last usable ADMIN key/) });
      expect(await keyState()).toEqual(before);
      // With ADMIN_API_KEY set (this test server), nobody is locked out: allowed.
      expect((await server.admin.data(`mutation($id: ID!) { revokeApiKey(id: $id) { usable } }`, { id: admin.id })).revokeApiKey.usable).toBe(false);
    } finally {
      await bare.close();
    }
  });
});

it('accepts the environment\'s ADMIN_API_KEY whatever the table says', async () => {
  expect(await accepted(server.client(TEST_ADMIN_KEY))).toBe(true);
});
