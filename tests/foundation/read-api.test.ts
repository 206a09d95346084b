import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let s: ReturnType<typeof seed>;
let agentA: number;

beforeAll(async () => {
  server = await startTestServer();
  s = seed(server.db);
  agentA = await s.agent('Ada');
});
afterAll(() => server.close());

const ENTRY_FIELDS = `id userId claimId queueType priorityScore status availableFrom enqueuedAt
  assignedAgent { id name } score { currentScore } claimant { userId timezone } callback { id reason }
  ... on UnsignedUserEntry { urgentSignature remindersSent }
  ... on OutstandingRequestEntry { pendingRequirements escalationLevel }`;

describe('queues', () => {
  it('pages through a queue in claim order (priority desc, available_from, id) without gaps or repeats', async () => {
    const users = [];
    for (const score of [10, 500, 500, 9000, 42, 500, 7]) {
      const u = await s.claimant({ score });
      users.push(u);
      await s.entry({ userId: u, priorityScore: score, availableFrom: new Date(Date.now() - 1000 * (score === 500 ? users.length : 1)) });
    }
    const seen: { priorityScore: number; id: string; availableFrom: string }[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const data: any = await server.admin.data(`query($after: String) { queue(type: UNSIGNED_USERS) {
        entries(first: 3, after: $after) { pageInfo { hasNextPage endCursor } nodes { id priorityScore availableFrom } } } }`, { after });
      seen.push(...data.queue.entries.nodes);
      if (!data.queue.entries.pageInfo.hasNextPage) break;
      after = data.queue.entries.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(7);
    expect(new Set(seen.map((e) => e.id)).size).toBe(7);
    expect(seen.map((e) => e.priorityScore)).toEqual([9000, 500, 500, 500, 42, 10, 7]);
    const tied = seen.filter((e) => e.priorityScore === 500).map((e) => Date.parse(e.availableFrom));
    expect([...tied].sort((a, b) => a - b)).toEqual(tied);
  });

  it('reports depth, available now, assigned count, oldest pending and average wait', async () => {
    const later = await s.claimant();
    await s.entry({ userId: later, availableFrom: new Date(Date.now() + 3_600_000) });
    const busy = await s.claimant();
    await s.entry({ userId: busy, status: 'assigned', agentId: agentA });
    const data = await server.admin.data(`{ queue(type: UNSIGNED_USERS) { type depth availableNow assignedCount oldestPendingSince averageWaitSeconds } }`);
    expect(data.queue).toMatchObject({ type: 'UNSIGNED_USERS', depth: 8, availableNow: 7, assignedCount: 1 });
    expect(Date.parse(data.queue.oldestPendingSince)).toBeLessThanOrEqual(Date.now());
    expect(data.queue.averageWaitSeconds).toBeGreaterThanOrEqual(0);
  });

  it('filters entries by status and resolves every relation of an entry', async () => {
    const data = await server.admin.data(`{ queue(type: UNSIGNED_USERS) { entries(status: ASSIGNED) { nodes { ${ENTRY_FIELDS} } } } }`);
    expect(data.queue.entries.nodes).toHaveLength(1);
    expect(data.queue.entries.nodes[0]).toMatchObject({
      queueType: 'UNSIGNED_USERS', status: 'ASSIGNED', assignedAgent: { id: String(agentA), name: 'Ada' },
      score: { currentScore: 500 }, claimant: { timezone: 'UTC' }, callback: null, urgentSignature: false,
    });
  });

  it('finds an entry by id and a claimant’s live entry, from either queue', async () => {
    const user = await s.claimant({ signatureStatus: 'obtained' });
    const id = await s.entry({ userId: user, queueType: 'outstanding_requests', priorityScore: 77 });
    const data = await server.admin.data(`query($id: ID!, $user: ID!) {
      queueEntry(id: $id) { __typename id priorityScore }
      userQueueEntry(userId: $user) { __typename id queueType }
      missing: queueEntry(id: "999999") { id } }`, { id: String(id), user: String(user) });
    expect(data.queueEntry).toEqual({ __typename: 'OutstandingRequestEntry', id: String(id), priorityScore: 77 });
    expect(data.userQueueEntry).toEqual({ __typename: 'OutstandingRequestEntry', id: String(id), queueType: 'OUTSTANDING_REQUESTS' });
    expect(data.missing).toBeNull();
  });
});

describe('claimants, scores, agents, callbacks, conversions', () => {
  it('reads a claimant with requirements, score and live entry', async () => {
    const user = await s.claimant({ signatureStatus: 'obtained', timezone: 'Europe/Paris', score: 1234 });
    await s.requirement(user, 'police_report');
    await s.requirement(user, 'medical_records', 'received');
    const entry = await s.entry({ userId: user, queueType: 'outstanding_requests' });
    const data = await server.admin.data(`query($u: ID!) { claimant(userId: $u) {
      userId timezone signatureStatus doNotCall requirements { requirementType status deadline } score { currentScore isActive }
      queueEntry { id } } callScore(userId: $u) { currentScore totalAttempts lastResetDate } }`, { u: String(user) });
    expect(data.claimant).toMatchObject({
      userId: String(user), timezone: 'Europe/Paris', signatureStatus: 'OBTAINED', doNotCall: false,
      score: { currentScore: 1234, isActive: true }, queueEntry: { id: String(entry) },
    });
    expect(data.claimant.requirements.map((r: any) => [r.requirementType, r.status])).toEqual([['police_report', 'PENDING'], ['medical_records', 'RECEIVED']]);
    expect(data.callScore).toMatchObject({ currentScore: 1234, totalAttempts: 0 });
    expect(data.callScore.lastResetDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('lists agents with today’s workload and current entry', async () => {
    const user = await s.claimant();
    await server.db.sql(`INSERT INTO call_sessions (user_id, agent_id, status, started_at, ended_at) VALUES ($1, $2, 'completed', now() - interval '5 minutes', now() - interval '3 minutes')`, [user, agentA]);
    const data = await server.admin.data(`query($id: ID!) { agents { id name } agent(id: $id) { name workload { callsToday talkTimeSecondsToday conversionsToday currentEntry { status } } } }`, { id: String(agentA) });
    expect(data.agents.map((a: any) => a.name)).toContain('Ada');
    expect(data.agent.workload).toEqual({ callsToday: 1, talkTimeSecondsToday: 120, conversionsToday: 0, currentEntry: { status: 'ASSIGNED' } });
  });

  it('filters callbacks by status, agent, claimant and time range, soonest first, with cursors', async () => {
    const user = await s.claimant();
    const t0 = Date.now() + 3_600_000;
    const ids = [];
    // One pending callback per claimant at most: the others are closed in various ways.
    const closedAs = ['completed', 'missed', 'completed', null, 'cancelled'];
    for (let i = 0; i < 5; i += 1) ids.push(await s.callback(user, new Date(t0 + i * 60_000), i % 2 === 0 ? agentA : null, closedAs[i] ?? 'pending'));
    const q = `query($a: ID, $u: ID, $from: DateTime, $to: DateTime, $after: String, $status: CallbackStatus) {
      callbacks(agentId: $a, userId: $u, from: $from, to: $to, first: 2, after: $after, status: $status) {
        pageInfo { hasNextPage endCursor } nodes { id status agent { id } claimant { userId } } } }`;
    const byAgent = await server.admin.data(q, { a: String(agentA), u: String(user) });
    expect(byAgent.callbacks.nodes.map((n: any) => n.id)).toEqual([String(ids[0]), String(ids[2])]);
    const next = await server.admin.data(q, { a: String(agentA), u: String(user), after: byAgent.callbacks.pageInfo.endCursor });
    expect(next.callbacks.nodes.map((n: any) => n.id)).toEqual([String(ids[4])]);
    expect(next.callbacks.pageInfo.hasNextPage).toBe(false);
    const window = await server.admin.data(q, { u: String(user), from: new Date(t0 + 60_000).toISOString(), to: new Date(t0 + 180_000).toISOString() });
    expect(window.callbacks.nodes.map((n: any) => n.id)).toEqual([String(ids[1]), String(ids[2])]);
    const completed = await server.admin.data(q, { u: String(user), status: 'COMPLETED' });
    expect(completed.callbacks.nodes.map((n: any) => n.id)).toEqual([String(ids[0]), String(ids[2])]);
    const pending = await server.admin.data(q, { u: String(user), status: 'PENDING' });
    expect(pending.callbacks.nodes.map((n: any) => n.id)).toEqual([String(ids[3])]);
  });

  it('lists conversions newest first with filters', async () => {
    const users = [await s.claimant(), await s.claimant(), await s.claimant()];
    for (const [i, u] of users.entries()) {
      await server.db.sql(`INSERT INTO conversions (user_id, previous_queue_type, conversion_type, final_score, primary_agent_id, contributing_agents, converted_at, claim_value)
        VALUES ($1, $2, 'signature_and_documents', 300, $3, $4, now() - make_interval(hours => $5), 1200.50)`,
        [u, i === 1 ? 'unsigned_users' : 'outstanding_requests', agentA, JSON.stringify([agentA]), i]);
    }
    const data = await server.admin.data(`{ all: conversions { nodes { userId previousQueueType primaryAgent { name } contributingAgentIds claimValue } }
      fromOutstanding: conversions(previousQueueType: OUTSTANDING_REQUESTS) { nodes { userId } } }`);
    expect(data.all.nodes.map((n: any) => n.userId)).toEqual(users.map(String));
    expect(data.all.nodes[0]).toMatchObject({ previousQueueType: 'OUTSTANDING_REQUESTS', primaryAgent: { name: 'Ada' }, contributingAgentIds: [String(agentA)], claimValue: 1200.5 });
    expect(data.fromOutstanding.nodes.map((n: any) => n.userId)).toEqual([users[0], users[2]].map(String));
  });
});
