import { startTestServer, type TestServer } from '../support/server.js';

/** Every refusal answers with a clear, coded error and the server keeps answering. */
let server: TestServer;

beforeAll(async () => {
  // Polls the migration phase hourly: one test counts this instance's statements.
  server = await startTestServer({ MAX_BODY_BYTES: '20000', MAX_QUERY_DEPTH: '6', MIGRATION_PHASE_POLL_MS: '3600000', WEBHOOK_POLL_MS: '3600000', EVENT_SAFE_POINT_MS: '3600000', LINES_JOB_CRON: '', CALLBACK_JOB_CRON: '' });
});
afterAll(() => server.close());

afterEach(async () => {
  const alive = await server.admin.data('{ viewer { role } }');
  expect(alive.viewer.role).toBe('ADMIN');
});

async function post(body: string, headers: Record<string, string> = {}) {
  const response = await fetch(server.app.url, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.admin.key}`, ...headers },
  });
  return { status: response.status, body: (await response.json()) as any };
}

it('malformed JSON → 400 with a GraphQL error body', async () => {
  const { status, body } = await post('{"query": "{ queues { type } }"');
  expect(status).toBe(400);
  expect(body.errors[0].message).toMatch(/not valid JSON/);
});

it('unknown field and wrong argument type → validation errors', async () => {
  expect(await server.admin.errorCode('{ queues { nonsense } }')).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(await server.admin.errorCode('{ queue(type: UNSIGNED_USERS) { entries(first: "ten") { nodes { id } } } }')).toBe('GRAPHQL_VALIDATION_FAILED');
});

it('an unknown enum value → validation error, also as a variable', async () => {
  expect(await server.admin.errorCode('{ queue(type: CALLBACKS) { depth } }')).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(await server.admin.errorCode('query($t: QueueType!) { queue(type: $t) { depth } }', { t: 'CALLBACKS' })).toBe('BAD_USER_INPUT');
});

it.each([501, 0, -1])('first = %i → BAD_USER_INPUT naming the allowed range', async (first) => {
  const result = await server.admin.request('query($f: Int) { queue(type: UNSIGNED_USERS) { entries(first: $f) { nodes { id } } } }', { f: first });
  expect(result.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  expect(result.errors![0]!.message).toMatch(/between 1 and 500/);
});

it('a forged cursor → BAD_USER_INPUT', async () => {
  expect(await server.admin.errorCode('{ queue(type: UNSIGNED_USERS) { entries(after: "bm9wZQ") { nodes { id } } } }')).toBe('BAD_USER_INPUT');
});

it.each(['abc', '-4', '1.5', '99999999999999999999'])('a claimant id "%s" → BAD_USER_INPUT', async (userId) => {
  const result = await server.admin.request('query($u: ID!) { claimant(userId: $u) { userId } }', { u: userId });
  expect(result.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  expect(result.errors![0]!.message).toMatch(/positive integer/);
});

it('a bad DateTime → BAD_USER_INPUT', async () => {
  expect(await server.admin.errorCode('query($d: DateTime) { callbacks(from: $d) { nodes { id } } }', { d: 'yesterday' })).toBe('BAD_USER_INPUT');
});

it('a query deeper than the limit is refused before execution', async () => {
  const before = (await server.app.metrics.dbStatements.get()).values[0]!.value;
  const deep = '{ queues { entries { nodes { claimant { queueEntry { claimant { queueEntry { id } } } } } } } }';
  const result = await server.admin.request(deep);
  expect(result.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(result.errors![0]!.message).toMatch(/at most 6 are allowed/);
  expect((await server.app.metrics.dbStatements.get()).values[0]!.value).toBe(before);
});

it('a body over the cap → 413', async () => {
  const { status, body } = await post(JSON.stringify({ query: `{ viewer { role } } # ${'x'.repeat(30000)}` }));
  expect(status).toBe(413);
  expect(body.errors[0].message).toMatch(/larger than the 20000 bytes allowed/);
});

it('an unexpected failure reaches the client as INTERNAL_SERVER_ERROR without internals', async () => {
  await server.db.sql('ALTER TABLE agents RENAME TO agents_gone');
  try {
    const result = await server.admin.request('{ agents { id } }');
    expect(result.errors![0]).toMatchObject({ message: 'Unexpected error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(JSON.stringify(result.errors)).not.toMatch(/agents_gone|relation|SELECT|\.ts:/);
  } finally {
    await server.db.sql('ALTER TABLE agents_gone RENAME TO agents');
  }
});

it('text with the NUL character (which PostgreSQL cannot store) → BAD_USER_INPUT, before anything is written', async () => {
  const [before] = await server.db.sql(`SELECT count(*)::int AS n FROM claimants`);
  const viaVariable = await server.admin.request(`mutation($i: ClaimantInput!) { upsertClaimant(input: $i) { userId } }`,
    { i: { userId: '424242', claimId: 'C-1', lastName: 'nul\u0000byte' } });
  expect(viaVariable.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringMatching(/NUL character/) });
  const inline = await server.admin.request(`mutation { upsertClaimant(input: { userId: "424242", claimId: "C-1", firstName: "a\\u0000b" }) { userId } }`);
  expect(inline.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  expect(await server.db.sql(`SELECT count(*)::int AS n FROM claimants`)).toEqual([before]);
});
