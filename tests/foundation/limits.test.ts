import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../support/server.js';
import { consoleDocuments } from '../support/native.js';
import { connect } from '../support/subscriber.js';

/**
 * What one document may ask for: its cost (computed before anything runs), its aliases and its
 * tokens. Refusals touch no database and leave the server answering others.
 */
let server: TestServer;

beforeAll(async () => {
  // Polls the migration phase hourly: the tests count this instance's statements.
  server = await startTestServer({ MIGRATION_PHASE_POLL_MS: '3600000', WEBHOOK_POLL_MS: '3600000', EVENT_SAFE_POINT_MS: '3600000', LINES_JOB_CRON: '', CALLBACK_JOB_CRON: '' });
});
afterAll(() => server.close());

const ENTRY = `nodes { id userId priorityScore status availableFrom enqueuedAt
  claimant { userId firstName lastName phone timezone requirements { id requirementType status deadline } }
  score { currentScore totalAttempts lastOutcome } assignedAgent { id name } }`;
const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `q${i}: queue(type: UNSIGNED_USERS) { entries(first: 500) { ${ENTRY} } }`).join('\n')} }`;
const statements = async () => (await server.app.metrics.dbStatements.get()).values[0]!.value;

it('refuses a document over the cost limit before any SQL runs, saying its cost, the limit and how to ask for less', async () => {
  const before = await statements();
  const started = performance.now();
  const result = await server.admin.request(aliased(20));
  const ms = performance.now() - started;
  expect(result.status).toBe(400);
  expect(result.errors![0]).toMatchObject({
    message: expect.stringMatching(/cost .* over the limit of 30000: ask for fewer items/),
    extensions: { code: 'BAD_USER_INPUT', cost: expect.any(Number), maxCost: 30000 },
  });
  expect(result.errors![0]!.extensions!.cost).toBeGreaterThan(300_000);
  expect(await statements()).toBe(before);
  expect(ms).toBeLessThan(1000); // generous for a loaded CI machine; the benchmark measures it
});

it('refuses too many aliases and too many tokens, whatever they cost', async () => {
  const many = `{ ${Array.from({ length: 2000 }, (_, i) => `a${i}: queues { type }`).join(' ')} }`;
  const before = await statements();
  const aliases = await server.admin.request(`{ ${Array.from({ length: 31 }, (_, i) => `a${i}: viewer { role }`).join(' ')} }`);
  expect(aliases.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', aliases: 31, maxAliases: 30 } });
  const tokens = await server.admin.request(many);
  expect(tokens.errors![0]).toMatchObject({ message: expect.stringMatching(/5000 tokens/), extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
  expect(await statements()).toBe(before);
});

it('lets the README\'s dashboard query and the console\'s wallboard through', async () => {
  const dashboard = `{ queues { type depth assignedCount averageWaitSeconds entries(first: 100) { pageInfo { hasNextPage endCursor }
    nodes { id userId priorityScore status availableFrom enqueuedAt assignedAgent { name } score { currentScore lastOutcome }
      claimant { firstName lastName timezone } callback { scheduledFor reason }
      ... on OutstandingRequestEntry { requirementTypes pendingRequirements escalationLevel documentDeadline }
      ... on UnsignedUserEntry { signatureType urgentSignature } } } } }`;
  expect((await server.admin.request(dashboard)).errors).toBeUndefined();
  const now = Date.now();
  const wallboard = await server.admin.request(consoleDocuments().WALLBOARD, {
    dayStart: new Date(now - 3_600_000).toISOString(), dueFrom: new Date(now).toISOString(), dueTo: new Date(now + 3_600_000).toISOString(),
  });
  expect(wallboard.errors).toBeUndefined();
});

it('counts page sizes given as variables, and a longer history as more', async () => {
  const query = `query($n: Int) { queue(type: UNSIGNED_USERS) { entries(first: $n) { ${ENTRY} } } }`;
  expect((await server.admin.request(query, { n: 50 })).errors).toBeUndefined();
  expect((await server.admin.request(`{ a: ${query.slice(query.indexOf('queue'), -1).replace('$n', '500')} b: ${query.slice(query.indexOf('queue'), -1).replace('$n', '500')} }`)).errors![0]!.extensions)
    .toMatchObject({ code: 'BAD_USER_INPUT', maxCost: 30000 });
  expect((await server.admin.request(`{ queueHistory(hours: 24) { at queueType depth } }`)).errors).toBeUndefined();
  expect((await server.admin.request(`{ queueHistory(hours: 168) { at queueType depth availableNow assignedCount } }`)).errors![0]!.extensions!.code)
    .toBe('BAD_USER_INPUT');
});

it('applies the same limits to subscriptions over WebSocket', async () => {
  const subscriber = connect(server.app.url, TEST_ADMIN_KEY);
  try {
    const costly = subscriber.subscribe(`subscription { agentsChanged { ${Array.from({ length: 20 }, (_, i) =>
      `w${i}: workload { currentEntry { claimant { requirements { id requirementType status deadline receivedAt } } } }`).join(' ')} } }`);
    const result = await costly.next();
    expect(result.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', maxCost: 30000 } });
  } finally {
    await subscriber.dispose();
  }
});
