import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Statements sent to Postgres per request (the instance's own counter, BEGIN and COMMIT
 * included). DataLoader batching: the dashboard query (both queues, N entries each, with
 * assignedAgent, score, claimant and callback) costs the same few statements whatever N is. The
 * hot writes take one round trip each.
 */
const DASHBOARD = `query($n: Int!) { queues { type entries(first: $n) { nodes {
  id priorityScore assignedAgent { name } score { currentScore } claimant { firstName } callback { scheduledFor } } } } }`;

let server: TestServer;
let agents: number[];
let s: ReturnType<typeof seed>;

beforeAll(async () => {
  // The counter is per instance: the migration-phase poll (every second by default) and the
  // periodic jobs would add their statements to whichever query they happen to overlap, so this
  // instance polls hourly and runs no job.
  server = await startTestServer({
    MIGRATION_PHASE_POLL_MS: '3600000', WEBHOOK_POLL_MS: '3600000', EVENT_SAFE_POINT_MS: '3600000', LINES_JOB_CRON: '', CALLBACK_JOB_CRON: '', LEASE_JOB_CRON: '', LIVE_COUNTS_CRON: '',
    CALLING_WINDOW_START: '00:00', CALLING_WINDOW_END: '23:59',
  });
  s = seed(server.db);
  agents = [];
  for (let i = 0; i < 5; i += 1) agents.push(await s.agent());
  await s.bulkEntries('unsigned_users', 600, agents);
  await s.bulkEntries('outstanding_requests', 600, agents.slice(0, 2));
});
afterAll(() => server.close());

async function statementsOf(request: () => Promise<unknown>): Promise<number> {
  const count = async () => (await server.app.metrics.dbStatements.get()).values[0]!.value;
  const before = await count();
  await request();
  return (await count()) - before;
}

async function statementsFor(n: number): Promise<{ statements: number; entries: number }> {
  const before = (await server.app.metrics.dbStatements.get()).values[0]!.value;
  const data = await server.admin.data(DASHBOARD, { n });
  const after = (await server.app.metrics.dbStatements.get()).values[0]!.value;
  const nodes = data.queues.flatMap((q: any) => q.entries.nodes);
  expect(nodes.some((e: any) => e.assignedAgent && e.callback && e.score && e.claimant)).toBe(true);
  return { statements: after - before, entries: nodes.length };
}

it('runs the dashboard query in at most 6 statements, the same at 10, 100 and 500 entries per queue', async () => {
  const counts = [];
  for (const n of [10, 100, 500]) {
    const { statements, entries } = await statementsFor(n);
    expect(entries).toBe(2 * n);
    counts.push(statements);
  }
  expect(counts[0]).toBeLessThanOrEqual(6);
  expect(new Set(counts).size).toBe(1);
});

it('claims in one statement — the lock, the pick, the live checks, the assignment, its lease and its event — and notifies after its commit in a second; refuses in one', async () => {
  const CLAIM = `mutation($a: ID!) { assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { id status } }`;
  const agent = String(await s.agent());
  let claimed: any;
  expect(await statementsOf(async () => { claimed = (await server.admin.data(CLAIM, { a: agent })).assignNextUser; })).toBe(2);
  expect(claimed.status).toBe('ASSIGNED');
  // A refusal costs the same one statement (the agent already holds the most it may), and says
  // why in the database's words, without the statement's text.
  let refusal: any;
  expect(await statementsOf(async () => { refusal = (await server.admin.request(CLAIM, { a: agent })).errors?.[0]; })).toBe(1);
  expect(refusal.extensions.code).toBe('CONFLICT');
  expect(refusal.message).toBe(`agent ${agent} already holds 1 assigned entry (at most 1); record an outcome or release it first`);
});

it('releases in one statement and notifies after its commit in a second; refuses in one', async () => {
  const agent = String(await s.agent());
  const claimed = (await server.admin.data(`mutation($a: ID!) { assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { id } }`, { a: agent })).assignNextUser;
  const RELEASE = `mutation($e: ID!) { releaseEntry(entryId: $e) { id status } }`;
  let released: any;
  expect(await statementsOf(async () => { released = (await server.admin.data(RELEASE, { e: claimed.id })).releaseEntry; })).toBe(2);
  expect(released).toEqual({ id: claimed.id, status: 'PENDING' });
  let refusal: any;
  expect(await statementsOf(async () => { refusal = (await server.admin.request(RELEASE, { e: claimed.id })).errors?.[0]; })).toBe(1);
  expect(refusal.extensions.code).toBe('CONFLICT');
  expect(refusal.message).toBe(`queue entry ${claimed.id} is pending, not assigned`);
});

it('records an outcome in one statement (a conversion included) and notifies after its commit in a second; refuses in one', async () => {
  const agent = String(await s.agent());
  const OUTCOME = `mutation($e: ID!, $o: CallOutcome!) { recordCallOutcome(input: { entryId: $e, outcome: $o }) { entry { id status } } }`;
  for (const [outcome, status] of [['NO_ANSWER', 'PENDING'], ['ANSWERED', 'COMPLETED'], ['CONVERTED', 'REMOVED']] as const) {
    const claimed = (await server.admin.data(`mutation($a: ID!) { assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { id } }`, { a: agent })).assignNextUser;
    let recorded: any;
    expect(await statementsOf(async () => { recorded = (await server.admin.data(OUTCOME, { e: claimed.id, o: outcome })).recordCallOutcome; })).toBe(2);
    expect(recorded.entry).toEqual({ id: claimed.id, status });
    let refusal: any;
    expect(await statementsOf(async () => { refusal = (await server.admin.request(OUTCOME, { e: claimed.id, o: outcome })).errors?.[0]; })).toBe(1);
    expect(refusal.extensions.code).toBe('CONFLICT');
  }
});

describe('calls on the lines', () => {
  const INITIATE = `mutation($u: ID!, $a: ID!) { initiateCall(input: { userId: $u, agentId: $a, callType: DIRECT }) {
    status position estimatedWaitSeconds session { id } request { id position } } }`;
  const END = `mutation($s: ID!, $o: CallOutcome!) { endCall(sessionId: $s, outcome: $o) { id status outcome } }`;

  it('starts a call in one statement, queues one in three (the request and the line read after the commit), and refuses in one', async () => {
    await server.db.sql(`UPDATE call_lines SET max_lines = 1`);
    const agent = String(await s.agent());
    const [first, second] = [await s.claimant(), await s.claimant()];
    let started: any;
    expect(await statementsOf(async () => { started = (await server.admin.data(INITIATE, { u: String(first), a: agent })).initiateCall; })).toBe(1);
    expect(started.status).toBe('STARTED');
    let queued: any;
    expect(await statementsOf(async () => { queued = (await server.admin.data(INITIATE, { u: String(second), a: agent })).initiateCall; })).toBe(3);
    expect(queued).toMatchObject({ status: 'QUEUED', position: 1, request: { position: 1 } });
    let refusal: any;
    expect(await statementsOf(async () => { refusal = (await server.admin.request(INITIATE, { u: String(first), a: agent })).errors?.[0]; })).toBe(1);
    expect(refusal.extensions).toEqual({ code: 'CONFLICT', sessionId: started.session.id });
    expect(refusal.message).toBe(`claimant ${first} is already on a call (session ${started.session.id})`);

    // Ending the first call frees the line for the second, in the same one statement.
    let ended: any;
    expect(await statementsOf(async () => { ended = (await server.admin.data(END, { s: started.session.id, o: 'NO_ANSWER' })).endCall; })).toBe(1);
    expect(ended).toEqual({ id: started.session.id, status: 'COMPLETED', outcome: 'no_answer' });
    const [request] = await server.db.sql(`SELECT status FROM call_requests WHERE id = $1`, [queued.request.id]);
    expect(request!.status).toBe('dispatched');
    expect(await statementsOf(async () => { refusal = (await server.admin.request(END, { s: started.session.id, o: 'ANSWERED' })).errors?.[0]; })).toBe(1);
    expect(refusal.extensions.code).toBe('CONFLICT');
    expect(refusal.message).toBe(`call session ${started.session.id} has already ended (completed, no_answer)`);
    await server.db.sql(`UPDATE call_sessions SET status = 'completed', ended_at = now() WHERE status = 'active'`);
  });
});
