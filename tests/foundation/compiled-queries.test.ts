import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * A query document runs in graphql-js the first time and compiled (graphql-jit) from the second:
 * the answers must not tell the two apart — data, masked personal fields, errors with their
 * codes, paths and locations, refused variables, and a mutation (never compiled) in between.
 */
let server: TestServer;
let viewerKey: string;

beforeAll(async () => {
  server = await startTestServer({});
  const s = seed(server.db);
  const agents = [await s.agent(), await s.agent()];
  for (let i = 0; i < 6; i += 1) {
    const user = await s.claimant({ timezone: i % 2 ? 'Europe/Berlin' : 'America/New_York' });
    await s.entry({ userId: user, status: i < 2 ? 'assigned' : 'pending', agentId: i < 2 ? agents[i]! : null, priorityScore: 100 * i });
  }
  viewerKey = (await server.admin.data(`mutation { createApiKey(role: VIEWER, label: "compiled") { key } }`)).createApiKey.key;
});
afterAll(() => server.close());

const DASHBOARD = `query Dashboard($n: Int!) { queues { type depth entries(first: $n) { nodes {
  id status priorityScore enqueuedAt assignedAgent { id name } score { currentScore totalAttempts }
  claimant { userId firstName phone timezone } } pageInfo { hasNextPage endCursor } } } }`;

async function threeTimes(key: string | null, query: string, variables: Record<string, unknown>) {
  const client = key ? server.client(key) : server.admin;
  const answers = [];
  // What a client receives: the status and the JSON body (headers carry the request's own id).
  for (let i = 0; i < 3; i += 1) {
    const { status, data, errors } = await client.request(query, variables);
    answers.push(JSON.parse(JSON.stringify({ status, data, errors })));
  }
  return answers;
}

it('gives the same data the first time (graphql-js) as once compiled, personal data masked for a viewer', async () => {
  for (const key of [null, viewerKey]) {
    const [first, ...compiled] = await threeTimes(key, DASHBOARD, { n: 4 });
    expect(first!.errors).toBeUndefined();
    expect(first!.data.queues[0].entries.nodes).toHaveLength(4);
    for (const answer of compiled) expect(answer).toEqual(first);
  }
  const [viewer] = await threeTimes(viewerKey, DASHBOARD, { n: 1 });
  const [admin] = await threeTimes(null, DASHBOARD, { n: 1 });
  expect(viewer!.data.queues[0].entries.nodes[0].claimant.phone).not.toBe(admin!.data.queues[0].entries.nodes[0].claimant.phone);
});

it('gives the same errors: a refusal with its code, path and locations, and refused variables', async () => {
  const [refused, ...compiledRefusals] = await threeTimes(viewerKey, `query { apiKeys { id } }`, {});
  expect(refused!.errors![0]).toMatchObject({ path: ['apiKeys'], locations: [{ line: 1, column: 9 }], extensions: { code: 'FORBIDDEN' } });
  for (const answer of compiledRefusals) expect(answer).toEqual(refused);

  const [badVariable, ...compiledBadVariables] = await threeTimes(null, `query($u: ID!) { eligibility(userId: $u) { userId } }`, { u: null });
  expect(badVariable!.status).toBe(400);
  expect(badVariable!.errors![0].extensions.code).toBe('BAD_USER_INPUT');
  for (const answer of compiledBadVariables) expect(answer).toEqual(badVariable);

  // A field error below the root: null where it failed, the rest of the answer kept.
  const PARTIAL = `query($u: ID!) { queues { type } agent(id: $u) { name } }`;
  const [partial, ...compiledPartials] = await threeTimes(null, PARTIAL, { u: 'not-a-number' });
  expect(partial!.data.queues).toHaveLength(2);
  expect(partial!.errors![0]).toMatchObject({ path: ['agent'], extensions: { code: 'BAD_USER_INPUT' } });
  for (const answer of compiledPartials) expect(answer).toEqual(partial);
});

it('runs mutations in graphql-js, one after another as written', async () => {
  const agent = String(await seed(server.db).agent());
  const TWO = `mutation($a: ID!) { first: assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { id } second: assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { id } }`;
  const answer = await server.admin.request(TWO, { a: agent });
  // Serial: the first claim holds the agent's one assignment when the second runs, and is refused.
  expect(answer.data.first.id).toBeDefined();
  expect(answer.data.second).toBeNull();
  expect(answer.errors![0]).toMatchObject({ path: ['second'], extensions: { code: 'CONFLICT' } });
});
