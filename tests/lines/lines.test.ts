import { GraphQLClient } from '../support/client.js';
import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { connect, untilSubscribed } from '../support/subscriber.js';

/** Lines: a limit Postgres keeps, requests queued (never refused), dispatched by priority. */
let server: TestServer;
let agents: number[];
let campaign: string;
const LIMIT = 5;

beforeAll(async () => {
  server = await startTestServer({ MAX_CONCURRENT_CALLS: String(LIMIT), LINES_JOB_CRON: '', CALLING_WINDOW_START: '00:00', CALLING_WINDOW_END: '23:59' });
  const s = seed(server.db);
  agents = [];
  for (let i = 0; i < 6; i += 1) agents.push(await s.agent());
  campaign = (await server.admin.data(`mutation { createCampaign(name: "Autumn signatures", queueType: UNSIGNED_USERS) { id status } }`)).createCampaign.id;
});
afterAll(() => server.close());

const INITIATE = `mutation($i: InitiateCallInput!) { initiateCall(input: $i) {
  status position estimatedWaitSeconds session { id status } request { id status callType priority position } } }`;
const initiate = (client: GraphQLClient, userId: number, agentId: number, callType = 'DIRECT', campaignId: string | null = null) =>
  client.data(INITIATE, { i: { userId: String(userId), agentId: String(agentId), callType, campaignId } });
const activeSessions = async () => (await server.db.sql(`SELECT count(*)::int AS n FROM call_sessions WHERE status = 'active'`))[0]!.n as number;
const endAll = async () => {
  await server.db.sql(`UPDATE call_requests SET status = 'cancelled', closed_at = now() WHERE status = 'queued'`);
  await server.db.sql(`UPDATE call_sessions SET status = 'completed', ended_at = now() WHERE status = 'active'`);
};

describe('60 concurrent calls on 5 lines', () => {
  const started: string[] = [];
  const queued: { id: string; callType: string }[] = [];

  it('exactly 5 start, 55 queue with distinct positions, and never more than 5 are active', async () => {
    const s = seed(server.db);
    const users: number[] = [];
    for (let i = 0; i < 60; i += 1) users.push(await s.claimant());
    let watching = true;
    let peak = 0;
    const watcher = (async () => {
      while (watching) {
        const [row] = await server.db.sql(`SELECT (SELECT count(*) FROM call_sessions WHERE status = 'active')::int AS sessions, active FROM call_lines`);
        peak = Math.max(peak, row!.sessions, row!.active);
        expect(row!.active).toBe(row!.sessions);
      }
    })();
    const results = await Promise.all(users.map((u, i) => initiate(server.admin, u, agents[i % agents.length]!,
      i % 3 === 0 ? 'CAMPAIGN' : 'DIRECT', i % 3 === 0 ? campaign : null)));
    watching = false;
    await watcher;

    for (const { initiateCall: r } of results) {
      if (r.status === 'STARTED') started.push(r.session.id);
      else queued.push({ id: r.request.id, callType: r.request.callType });
      if (r.status === 'QUEUED') {
        expect(r.position).toBeGreaterThanOrEqual(1);
        expect(r.estimatedWaitSeconds).toBeGreaterThan(0);
      }
    }
    expect(started).toHaveLength(LIMIT);
    expect(queued).toHaveLength(55);
    expect(peak).toBeLessThanOrEqual(LIMIT);
    expect(await activeSessions()).toBe(LIMIT);
    // Positions now: 1..55, direct ones first.
    const now = await Promise.all(queued.map(async (q) => (await server.admin.data(`query($id: ID!) { callRequest(id: $id) { position callType } }`, { id: q.id })).callRequest));
    expect(now.map((r) => r.position).sort((a, b) => a - b)).toEqual(Array.from({ length: 55 }, (_, i) => i + 1));
    const lastDirect = Math.max(...now.filter((r) => r.callType === 'DIRECT').map((r) => r.position));
    const firstCampaign = Math.min(...now.filter((r) => r.callType === 'CAMPAIGN').map((r) => r.position));
    expect(lastDirect).toBeLessThan(firstCampaign);
    const status = (await server.admin.data(`{ lineStatus { limit active available queuedDirect queuedCampaign estimatedDirectWaitSeconds estimatedCampaignWaitSeconds } }`)).lineStatus;
    expect(status).toMatchObject({ limit: LIMIT, active: LIMIT, available: 0, queuedDirect: now.filter((r) => r.callType === 'DIRECT').length });
    expect(status.queuedDirect + status.queuedCampaign).toBe(55);
    expect(status.estimatedCampaignWaitSeconds).toBeGreaterThan(status.estimatedDirectWaitSeconds);
  });

  it('ending calls dispatches every direct request before any campaign request, first-in first-out within each', async () => {
    const order = await server.db.sql(`SELECT id, call_type FROM call_requests WHERE status = 'queued' ORDER BY priority DESC, created_at, id`);
    const dispatched: number[] = [];
    let active = [...started];
    while (active.length > 0) {
      const sessionId = active.shift()!;
      const ended = (await server.admin.data(`mutation($s: ID!) { endCall(sessionId: $s, outcome: ANSWERED) { id status outcome } }`, { s: sessionId })).endCall;
      expect(ended).toMatchObject({ status: 'COMPLETED', outcome: 'answered' });
      const [next] = await server.db.sql(`SELECT id, call_session_id FROM call_requests WHERE status = 'dispatched' AND NOT (id = ANY($1::bigint[]))`, [dispatched]);
      if (next) {
        dispatched.push(Number(next.id));
        active.push(String(next.call_session_id));
      }
      expect(await activeSessions()).toBeLessThanOrEqual(LIMIT);
    }
    expect(dispatched).toEqual(order.map((r) => Number(r.id)));
    expect(order.findIndex((r) => r.call_type === 'campaign')).toBe(order.filter((r) => r.call_type === 'direct').length);
  });
});

it('endCall counts as a call attempt and handles the assigned entry as recordCallOutcome does', async () => {
  await endAll();
  const s = seed(server.db);
  const user = await s.claimant();
  const agent = agents[0]!;
  const entry = await s.entry({ userId: user, status: 'assigned', agentId: agent });
  const { initiateCall: call } = await initiate(server.admin, user, agent);
  expect(call.status).toBe('STARTED');
  await server.admin.data(`mutation($s: ID!) { endCall(sessionId: $s, outcome: NO_ANSWER) { id } }`, { s: call.session.id });
  const [after] = await server.db.sql(`SELECT status, available_from FROM unsigned_users_queue WHERE id = $1`, [entry]);
  expect(after!.status).toBe('pending');
  expect(after!.available_from.getTime()).toBeGreaterThan(Date.now() + 100 * 60_000);
  const [score] = await server.db.sql(`SELECT total_attempts, last_outcome FROM user_call_scores WHERE user_id = $1`, [user]);
  expect(score).toEqual({ total_attempts: 1, last_outcome: 'no_answer' });
  expect((await server.admin.data(`query($id: ID!) { callSession(id: $id) { status outcome agent { id } claimant { userId } } }`, { id: call.session.id })).callSession)
    .toEqual({ status: 'COMPLETED', outcome: 'no_answer', agent: { id: String(agent) }, claimant: { userId: String(user) } });
});

it('endCall without the claimant\'s entry: the live entry\'s priority follows the new attempt count; a refusal takes it out of its queue', async () => {
  await endAll();
  const s = seed(server.db);
  const agent = agents[1]!;
  const [kept, refusing] = [await s.claimant({ attempts: 2 }), await s.claimant()];
  const keptEntry = await s.entry({ userId: kept, priorityScore: 1 });
  const refusingEntry = await s.entry({ userId: refusing });
  const end = async (user: number, outcome: string) => {
    const { initiateCall: call } = await initiate(server.admin, user, agent);
    return (await server.admin.data(`mutation($s: ID!, $o: CallOutcome!) { endCall(sessionId: $s, outcome: $o) { status outcome } }`,
      { s: call.session.id, o: outcome })).endCall;
  };

  expect(await end(kept, 'BUSY')).toEqual({ status: 'COMPLETED', outcome: 'busy' });
  const [entry] = await server.db.sql(`SELECT status, priority_score FROM unsigned_users_queue WHERE id = $1`, [keptEntry]);
  const breakdown = (await server.admin.data(`query($u: ID!) { scoreBreakdown(userId: $u) { total storedScore } }`, { u: String(kept) })).scoreBreakdown;
  // The policy's score in TypeScript, with the third attempt counted, is the entry's priority in SQL.
  expect(entry).toEqual({ status: 'pending', priority_score: breakdown.total });
  expect(breakdown.storedScore).toBe(breakdown.total);
  expect(entry!.priority_score).not.toBe(1);
  expect((await server.db.sql(`SELECT total_attempts FROM user_call_scores WHERE user_id = $1`, [kept]))[0]!.total_attempts).toBe(3);

  expect(await end(refusing, 'REFUSED')).toEqual({ status: 'COMPLETED', outcome: 'refused' });
  const [removed] = await server.db.sql(`SELECT status, closed_reason, assigned_to_agent_id FROM unsigned_users_queue WHERE id = $1`, [refusingEntry]);
  expect(removed).toEqual({ status: 'removed', closed_reason: 'refused', assigned_to_agent_id: null });
  const [facts] = await server.db.sql(`SELECT c.do_not_call, s.is_active,
      (SELECT reason FROM queue_transitions t WHERE t.user_id = c.user_id ORDER BY id DESC LIMIT 1) AS transition
    FROM claimants c JOIN user_call_scores s USING (user_id) WHERE c.user_id = $1`, [refusing]);
  expect(facts).toEqual({ do_not_call: true, is_active: false, transition: 'do not call' });
});

it('endCall with CONVERTED records the conversion and ends the session, the line freed', async () => {
  await endAll();
  const s = seed(server.db);
  const user = await s.claimant();
  const agent = agents[2]!;
  const entry = await s.entry({ userId: user, status: 'assigned', agentId: agent });
  const { initiateCall: call } = await initiate(server.admin, user, agent);
  const ended = (await server.admin.data(`mutation($s: ID!) { endCall(sessionId: $s, outcome: CONVERTED) { status outcome } }`, { s: call.session.id })).endCall;
  expect(ended).toEqual({ status: 'COMPLETED', outcome: 'converted' });
  const [after] = await server.db.sql(`SELECT e.status, e.closed_reason, c.converted_at IS NOT NULL AS converted,
      (SELECT conversion_type FROM conversions v WHERE v.user_id = c.user_id) AS conversion
    FROM unsigned_users_queue e JOIN claimants c USING (user_id) WHERE e.id = $1`, [entry]);
  expect(after).toEqual({ status: 'removed', closed_reason: 'converted', converted: true, conversion: 'call' });
  expect(await activeSessions()).toBe(0);
});

it('a queued request follows its position by subscription, then its dispatch', async () => {
  await endAll();
  const s = seed(server.db);
  const holders = [];
  for (let i = 0; i < LIMIT; i += 1) holders.push((await initiate(server.admin, await s.claimant(), agents[i]!)).initiateCall.session.id);
  await initiate(server.admin, await s.claimant(), agents[5]!); // first in line
  const second = (await initiate(server.admin, await s.claimant(), agents[0]!)).initiateCall.request.id;
  const subscriber = connect(server.app.url, server.admin.key);
  try {
    const before = server.app.liveSubscriptions();
    const stream = subscriber.subscribe(`subscription($id: ID!) { callRequestUpdated(id: $id) { id status position session { status } } }`, { id: second });
    // One that asks neither its position nor its wait (here through a fragment) is not woken by the line moving.
    const quiet = subscriber.subscribe(`subscription($id: ID!) { callRequestUpdated(id: $id) { ...Seen } } fragment Seen on CallRequest { id status }`, { id: second });
    await untilSubscribed(() => server.app.liveSubscriptions(), before + 2);
    await server.admin.data(`mutation($s: ID!) { endCall(sessionId: $s, outcome: ANSWERED) { id } }`, { s: holders[0] });
    let update = (await stream.next()).data.callRequestUpdated;
    expect(update).toMatchObject({ id: second, status: 'QUEUED', position: 1 });
    await server.admin.data(`mutation($s: ID!) { endCall(sessionId: $s, outcome: ANSWERED) { id } }`, { s: holders[1] });
    do update = (await stream.next()).data.callRequestUpdated; while (update.status === 'QUEUED');
    expect(update).toMatchObject({ id: second, status: 'DISPATCHED', position: null, session: { status: 'ACTIVE' } });
    expect((await quiet.next()).data.callRequestUpdated).toEqual({ id: second, status: 'DISPATCHED' });
  } finally {
    await subscriber.dispose();
  }
});

it('a request dispatched before its subscriber came is sent as it is at once; an unknown request is refused', async () => {
  await endAll();
  const s = seed(server.db);
  const holders = [];
  for (let i = 0; i < LIMIT; i += 1) holders.push((await initiate(server.admin, await s.claimant(), agents[i]!)).initiateCall.session.id);
  const waiting = (await initiate(server.admin, await s.claimant(), agents[5]!)).initiateCall.request.id;
  // The line frees and the request is dispatched before anyone follows it.
  await server.admin.data(`mutation($s: ID!) { endCall(sessionId: $s, outcome: ANSWERED) { id } }`, { s: holders[0] });
  const subscriber = connect(server.app.url, server.admin.key);
  try {
    const stream = subscriber.subscribe(`subscription($id: ID!) { callRequestUpdated(id: $id) { id status position session { status } } }`, { id: waiting });
    expect((await stream.next(5000)).data.callRequestUpdated).toEqual({ id: waiting, status: 'DISPATCHED', position: null, session: { status: 'ACTIVE' } });
    const unknown = subscriber.subscribe(`subscription { callRequestUpdated(id: "987654") { id } }`);
    expect((await unknown.next(5000)).errors?.[0]).toMatchObject({ message: 'call request 987654 does not exist', extensions: { code: 'NOT_FOUND' } });
  } finally {
    await subscriber.dispose();
  }
});

it('the limit holds against raw SQL too', async () => {
  await endAll();
  const s = seed(server.db);
  for (let i = 0; i < LIMIT; i += 1) {
    await server.db.sql(`INSERT INTO call_sessions (user_id, agent_id, status) VALUES ($1, $2, 'active')`, [await s.claimant(), agents[0]]);
  }
  const extra = await s.claimant();
  await expect(server.db.sql(`INSERT INTO call_sessions (user_id, agent_id, status) VALUES ($1, $2, 'active')`, [extra, agents[0]]))
    .rejects.toThrow(/all 5 lines are busy/);
  expect(await activeSessions()).toBe(LIMIT);
});

describe('refusals change nothing', () => {
  let agentKey: string;
  let counts: () => Promise<unknown>;
  beforeAll(async () => {
    await endAll();
    agentKey = (await server.admin.data(`mutation($a: ID) { createApiKey(role: AGENT, agentId: $a) { key } }`, { a: String(agents[1]) })).createApiKey.key;
    counts = () => server.db.sql(`SELECT (SELECT count(*) FROM call_sessions)::int AS s, (SELECT count(*) FROM call_requests)::int AS r,
      (SELECT active FROM call_lines) AS a`);
  });

  it('initiateCall', async () => {
    const s = seed(server.db);
    const user = await s.claimant();
    const paused = (await server.admin.data(`mutation { createCampaign(name: "Paused one", queueType: OUTSTANDING_REQUESTS) { id } }`)).createCampaign.id;
    await server.admin.data(`mutation($id: ID!) { setCampaignStatus(id: $id, status: PAUSED) { status } }`, { id: paused });
    const onCall = await s.claimant();
    await initiate(server.admin, onCall, agents[2]!);
    const dnc = await s.claimant({ doNotCall: true });
    const before = await counts();
    const code = (client: GraphQLClient, i: Record<string, unknown>) => client.errorCode(INITIATE, { i: { userId: String(user), agentId: String(agents[1]), callType: 'DIRECT', ...i } });
    expect(await code(server.admin, { callType: 'CAMPAIGN' })).toBe('BAD_USER_INPUT');
    expect(await code(server.admin, { callType: 'CAMPAIGN', campaignId: paused })).toBe('CONFLICT');
    expect(await code(server.admin, { callType: 'CAMPAIGN', campaignId: '999999' })).toBe('NOT_FOUND');
    expect(await code(server.admin, { userId: String(onCall) })).toBe('CONFLICT');
    const refused = await server.admin.request(INITIATE, { i: { userId: String(dnc), agentId: String(agents[1]), callType: 'DIRECT' } });
    expect(refused.errors?.[0]).toMatchObject({ message: expect.stringMatching(/do-not-call/), extensions: { code: 'CONFLICT' } });
    expect(await code(server.admin, { userId: '987654321' })).toBe('NOT_FOUND');
    expect(await code(server.admin, { agentId: '99999' })).toBe('NOT_FOUND');
    expect(await code(new GraphQLClient(server.app.url, agentKey), { agentId: String(agents[3]) })).toBe('FORBIDDEN');
    expect(await counts()).toEqual(before);
  });

  it('a claimant already waiting for a line', async () => {
    const s = seed(server.db);
    for (let i = 0; i < LIMIT; i += 1) await initiate(server.admin, await s.claimant(), agents[i]!);
    const waiting = await s.claimant();
    expect((await initiate(server.admin, waiting, agents[0]!)).initiateCall.status).toBe('QUEUED');
    const before = await counts();
    expect(await server.admin.errorCode(INITIATE, { i: { userId: String(waiting), agentId: String(agents[1]), callType: 'DIRECT' } })).toBe('CONFLICT');
    expect(await counts()).toEqual(before);
  });

  it('endCall and cancelCallRequest', async () => {
    await endAll();
    const s = seed(server.db);
    const session = (await initiate(server.admin, await s.claimant(), agents[4]!)).initiateCall.session.id;
    await server.admin.data(`mutation($s: ID!) { endCall(sessionId: $s, outcome: ANSWERED) { id } }`, { s: session });
    const end = (client: GraphQLClient, id: string) => client.errorCode(`mutation($s: ID!) { endCall(sessionId: $s, outcome: ANSWERED) { id } }`, { s: id });
    expect(await end(server.admin, session)).toBe('CONFLICT');
    expect(await end(server.admin, '987654')).toBe('NOT_FOUND');
    const other = (await initiate(server.admin, await s.claimant(), agents[3]!)).initiateCall.session.id;
    const afterOther = await counts();
    expect(await end(new GraphQLClient(server.app.url, agentKey), other)).toBe('FORBIDDEN');
    const cancel = (client: GraphQLClient, id: string) => client.errorCode(`mutation($id: ID!) { cancelCallRequest(id: $id) { id } }`, { id });
    expect(await cancel(server.admin, '987654')).toBe('NOT_FOUND');
    const [dispatched] = await server.db.sql(`SELECT id FROM call_requests WHERE status = 'dispatched' LIMIT 1`);
    expect(await cancel(server.admin, String(dispatched!.id))).toBe('CONFLICT');
    expect(await counts()).toEqual(afterOther);
  });

  it('cancelling another agent’s request, and campaign admin', async () => {
    await endAll();
    const s = seed(server.db);
    for (let i = 0; i < LIMIT; i += 1) await initiate(server.admin, await s.claimant(), agents[i]!);
    const queued = (await initiate(server.admin, await s.claimant(), agents[0]!)).initiateCall.request.id;
    const integratorKey = (await server.admin.data(`mutation { createApiKey(role: INTEGRATOR) { key } }`)).createApiKey.key;
    const campaigns = () => server.db.sql(`SELECT id, name, status FROM campaigns ORDER BY id`);
    const before = [await counts(), await campaigns()];
    expect(await new GraphQLClient(server.app.url, agentKey).errorCode(`mutation($id: ID!) { cancelCallRequest(id: $id) { id } }`, { id: queued })).toBe('FORBIDDEN');
    expect(await server.client(integratorKey).errorCode(`mutation($id: ID!) { cancelCallRequest(id: $id) { id } }`, { id: queued })).toBe('FORBIDDEN');
    expect(await new GraphQLClient(server.app.url, agentKey).errorCode(`mutation { createCampaign(name: "x", queueType: UNSIGNED_USERS) { id } }`)).toBe('FORBIDDEN');
    expect(await server.admin.errorCode(`mutation { createCampaign(name: "Autumn signatures", queueType: UNSIGNED_USERS) { id } }`)).toBe('CONFLICT');
    expect(await server.admin.errorCode(`mutation { createCampaign(name: "   ", queueType: UNSIGNED_USERS) { id } }`)).toBe('BAD_USER_INPUT');
    expect(await server.admin.errorCode(`mutation { setCampaignStatus(id: "987654", status: PAUSED) { id } }`)).toBe('NOT_FOUND');
    expect(await new GraphQLClient(server.app.url, agentKey).errorCode(`mutation($id: ID!) { setCampaignStatus(id: $id, status: PAUSED) { id } }`, { id: campaign })).toBe('FORBIDDEN');
    expect([await counts(), await campaigns()]).toEqual(before);
    // The request's own agent (here through ADMIN) may cancel it.
    expect((await server.admin.data(`mutation($id: ID!) { cancelCallRequest(id: $id) { status position } }`, { id: queued })).cancelCallRequest)
      .toEqual({ status: 'CANCELLED', position: null });
  });
});
