import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { connect } from '../support/subscriber.js';
import { DAYTIME } from '../support/zones.js';
import { LISTENER_APPLICATION_NAME } from '../../src/modules/events/listener.js';

/**
 * What the console reads, through the public API: a queue searched and filtered by the server,
 * a claimant's history, figures over time, the lines and the event feed's state live.
 */
let server: TestServer;
let s: ReturnType<typeof seed>;

beforeAll(async () => {
  server = await startTestServer({ QUEUE_SAMPLE_CRON: '* * * * * *', LINES_JOB_CRON: '' });
  s = seed(server.db);
});
afterAll(() => server.close());

const ENTRIES = `query($t: QueueType!, $search: String, $filter: QueueEntryFilter, $first: Int, $after: String) {
  queue(type: $t) { entries(search: $search, filter: $filter, first: $first, after: $after) {
    nodes { userId priorityScore } pageInfo { hasNextPage endCursor } } } }`;

async function named(first: string, last: string, phone: string, extra: Parameters<typeof s.claimant>[0] = {}) {
  const userId = await s.claimant(extra);
  await server.db.sql(`UPDATE claimants SET first_name = $2, last_name = $3, phone = $4 WHERE user_id = $1`, [userId, first, last, phone]);
  return userId;
}

describe('searching and filtering a queue', () => {
  let ada: number; let grace: number; let urgent: number; let called: number;
  beforeAll(async () => {
    ada = await named('Ada', 'Lovelace', '+1 (555) 010-2030');
    grace = await named('Grace', 'Hopper', '+1 555 777 8899');
    urgent = await named('Edsger', 'Dijkstra', '+31 20 555 0101', { missingDays: 20 });
    called = await named('Alan', 'Turing', '+44 20 7946 0000');
    await s.entry({ userId: ada, priorityScore: 3000 });
    await s.entry({ userId: grace, priorityScore: 2000, availableFrom: new Date(Date.now() + 3_600_000) });
    await server.db.sql(`INSERT INTO unsigned_users_queue (user_id, claim_id, priority_score, urgent_signature)
      SELECT user_id, claim_id, 4000, true FROM claimants WHERE user_id = $1`, [urgent]);
    const callback = await s.callback(called, new Date(Date.now() + 7_200_000));
    await s.entry({ userId: called, priorityScore: 9999, callbackId: callback, availableFrom: new Date(Date.now() + 7_200_000) });
  });
  const ids = async (variables: Record<string, unknown>) =>
    (await server.admin.data(ENTRIES, { t: 'UNSIGNED_USERS', ...variables })).queue.entries.nodes.map((n: any) => Number(n.userId));

  it('finds a claimant by any part of the name, in either order, case ignored', async () => {
    expect(await ids({ search: 'love' })).toEqual([ada]);
    expect(await ids({ search: 'lovelace ada' })).toEqual([ada]);
    expect(await ids({ search: 'Hopper, Grace' })).toEqual([grace]);
    expect(await ids({ search: 'ada hopper' })).toEqual([]);
  });

  it('finds a claimant by user id and by the digits of a phone number, however it is written', async () => {
    expect(await ids({ search: String(grace) })).toEqual([grace]);
    expect(await ids({ search: '010-2030' })).toEqual([ada]);
    expect(await ids({ search: '5550102030' })).toEqual([ada]);
    expect(await ids({ search: '%' })).toEqual([]);      // LIKE wildcards are text, not patterns
  });

  it('filters by callback, urgency and availability, in claim order', async () => {
    expect(await ids({ filter: { hasCallback: true } })).toEqual([called]);
    expect(await ids({ filter: { urgentSignature: true } })).toEqual([urgent]);
    const now = await ids({ filter: { availableNow: true } });
    expect(now).toEqual(expect.arrayContaining([urgent, ada]));
    expect(now).not.toContain(grace);
    expect(now.indexOf(urgent)).toBeLessThan(now.indexOf(ada));
    expect(await ids({ filter: { availableNow: false, hasCallback: false } })).toEqual([grace]);
  });

  it('pages a filtered view by keyset, without gaps or repeats', async () => {
    const first = (await server.admin.data(ENTRIES, { t: 'UNSIGNED_USERS', filter: { hasCallback: false }, first: 2 })).queue.entries;
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = (await server.admin.data(ENTRIES, { t: 'UNSIGNED_USERS', filter: { hasCallback: false }, first: 50, after: first.pageInfo.endCursor })).queue.entries;
    const all = await ids({ filter: { hasCallback: false } });
    expect([...first.nodes, ...rest.nodes].map((n: any) => Number(n.userId))).toEqual(all);
  });

  it('refuses what cannot be asked: a filter of the other queue, a bad level, an empty or long search', async () => {
    expect(await server.admin.errorCode(ENTRIES, { t: 'UNSIGNED_USERS', filter: { escalationLevel: 1 } })).toBe('BAD_USER_INPUT');
    expect(await server.admin.errorCode(ENTRIES, { t: 'OUTSTANDING_REQUESTS', filter: { urgentSignature: true } })).toBe('BAD_USER_INPUT');
    expect(await server.admin.errorCode(ENTRIES, { t: 'OUTSTANDING_REQUESTS', filter: { escalationLevel: 3 } })).toBe('BAD_USER_INPUT');
    expect(await server.admin.errorCode(ENTRIES, { t: 'UNSIGNED_USERS', search: '   ' })).toBe('BAD_USER_INPUT');
    expect(await server.admin.errorCode(ENTRIES, { t: 'UNSIGNED_USERS', search: 'x'.repeat(101) })).toBe('BAD_USER_INPUT');
  });
});

it('tells a claimant\'s story: moves, calls, callbacks and conversion, newest first', async () => {
  const user = await s.claimant({ signatureStatus: 'obtained' });
  await s.requirement(user);
  const agent = await s.agent();
  await server.admin.data(`mutation($u: ID!) { enqueueUser(input: { userId: $u, queueType: OUTSTANDING_REQUESTS }) { id } }`, { u: String(user) });
  await server.db.sql(`INSERT INTO call_sessions (user_id, agent_id, call_type, status, outcome, started_at, ended_at)
    VALUES ($1, $2, 'direct', 'completed', 'no_answer', now() - interval '2 hours', now() - interval '119 minutes'),
           ($1, $2, 'direct', 'completed', 'answered', now() - interval '1 hour', now() - interval '55 minutes')`, [user, agent]);
  await s.callback(user, new Date(Date.now() + 86_400_000));
  await server.admin.data(`mutation($u: ID!) { convertUser(input: { userId: $u, reason: "signed at the office" }) { id } }`, { u: String(user) });
  const { claimant } = await server.admin.data(`query($u: ID!) { claimant(userId: $u) {
      transitions { fromQueue toQueue reason actor } callSessions(first: 1) { outcome agent { id } }
      callbacks { status } conversion { userId conversionType } } }`, { u: String(user) });
  expect(claimant.transitions[0]).toMatchObject({ fromQueue: 'OUTSTANDING_REQUESTS', toQueue: null });
  expect(claimant.transitions.at(-1)).toMatchObject({ fromQueue: null, toQueue: 'OUTSTANDING_REQUESTS' });
  expect(claimant.callSessions).toEqual([{ outcome: 'answered', agent: { id: String(agent) } }]);
  expect(claimant.callbacks).toHaveLength(1);
  expect(claimant.conversion).toMatchObject({ userId: String(user) });
  expect(await server.admin.errorCode(`query($u: ID!) { claimant(userId: $u) { transitions(first: 501) { id } } }`, { u: String(user) })).toBe('BAD_USER_INPUT');
});

it('keeps one sample a minute per queue across instances, and draws activity per bucket', async () => {
  // This minute's sample may have been taken before the earlier tests made their entries (one
  // sample a minute is kept): the samples start afresh, so the newest is taken after them.
  await server.db.sql('DELETE FROM queue_samples');
  const other = await server.startAnother({ QUEUE_SAMPLE_CRON: '* * * * * *' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const rows = await server.db.sql(`SELECT minute, count(*)::int AS n FROM queue_samples GROUP BY minute`);
    expect(rows.length).toBeGreaterThanOrEqual(1);
    for (const row of rows) expect(row.n).toBe(2);  // two instances, every second: still one row per queue per minute
  } finally {
    await other.close();
  }
  const { queueHistory, activity } = await server.admin.data(`{ queueHistory(hours: 1) { at queueType depth assignedCount }
    activity(hours: 3, bucketMinutes: 60) { from claims calls conversions } }`);
  const [{ depth }] = await server.db.sql(`SELECT count(*)::int AS depth FROM unsigned_users_queue WHERE status = 'pending'`) as [{ depth: number }];
  // The newest sample: every one was taken after the entries were made.
  expect(queueHistory.filter((q: any) => q.queueType === 'UNSIGNED_USERS').at(-1).depth).toBe(depth);
  expect(activity.length).toBeGreaterThanOrEqual(3);
  expect(activity.reduce((n: number, b: any) => n + b.calls, 0)).toBeGreaterThanOrEqual(2);
  expect(activity.reduce((n: number, b: any) => n + b.conversions, 0)).toBeGreaterThanOrEqual(1);
  // Claims come from the event log: the earlier tests' claims are counted.
  const [{ claims }] = await server.db.sql(`SELECT count(*)::int AS claims FROM event_log WHERE type = 'ENTRY_ASSIGNED'`) as [{ claims: number }];
  expect(activity.reduce((n: number, b: any) => n + b.claims, 0)).toBe(claims);
  for (const bad of ['queueHistory(hours: 0) { at }', 'queueHistory(hours: 169) { at }', 'activity(bucketMinutes: 7) { from }']) {
    expect(await server.admin.errorCode(`{ ${bad} }`)).toBe('BAD_USER_INPUT');
  }
});

it('announces the lines as calls start and end, and whether events flow while the listener is away', async () => {
  const subscriber = connect(server.app.url, 'test-admin-key-0123456789abcdef');
  try {
    const lines = subscriber.subscribe(`subscription { lineStatusChanged { active limit } }`);
    const live = subscriber.subscribe(`subscription { liveStatus { eventsFlowing } }`);
    const before = (await lines.next()).data.lineStatusChanged.active;
    expect((await live.next()).data.liveStatus.eventsFlowing).toBe(true);
    // A call started by raw SQL is announced too: the database sends linesChanged.
    const user = await s.claimant();
    await server.db.sql(`INSERT INTO call_sessions (user_id, agent_id, call_type, status) VALUES ($1, $2, 'direct', 'active')`, [user, await s.agent()]);
    expect((await lines.next(3000)).data.lineStatusChanged.active).toBe(before + 1);

    await server.db.sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, [LISTENER_APPLICATION_NAME]);
    expect((await live.next(3000)).data.liveStatus.eventsFlowing).toBe(false);
    expect((await live.next(5000)).data.liveStatus.eventsFlowing).toBe(true);
  } finally {
    await subscriber.dispose();
  }
});

it('shares snapshot subscriptions between wallboards: a late one gets the latest snapshot at once, agents follow claims', async () => {
  const key = 'test-admin-key-0123456789abcdef';
  const [a, b, late] = [connect(server.app.url, key), connect(server.app.url, key), connect(server.app.url, key)];
  try {
    const STATS = `subscription { queueStats(queueType: OUTSTANDING_REQUESTS) { depth } }`;
    const AGENTS = `subscription { agentsChanged { id workload { currentEntry { userId } } } }`;
    const first = a.subscribe(STATS);
    const second = b.subscribe(STATS);
    const agents = a.subscribe(AGENTS);
    const depth = (await first.next()).data.queueStats.depth;
    expect((await second.next()).data.queueStats.depth).toBe(depth);
    await agents.next();
    const user = await s.claimant({ signatureStatus: 'obtained', timezone: DAYTIME() });
    await s.requirement(user);
    await server.admin.data(`mutation($u: ID!) { enqueueUser(input: { userId: $u, queueType: OUTSTANDING_REQUESTS, priorityScore: 9000 }) { id } }`, { u: String(user) });
    expect((await first.next(3000)).data.queueStats.depth).toBe(depth + 1);
    expect((await second.next(3000)).data.queueStats.depth).toBe(depth + 1);
    const joined = late.subscribe(STATS);
    expect((await joined.next(1000)).data.queueStats.depth).toBe(depth + 1);

    const agent = await s.agent();
    const claimed = await server.admin.data(`mutation($a: ID!) { assignNextUser(agentId: $a, queueType: OUTSTANDING_REQUESTS) { userId } }`, { a: String(agent) });
    expect(claimed.assignNextUser.userId).toBe(String(user));
    for (;;) {
      const board = (await agents.next(3000)).data.agentsChanged;
      const row = board.find((r: any) => r.id === String(agent));
      if (row?.workload.currentEntry) {
        expect(row.workload.currentEntry.userId).toBe(String(user));
        break;
      }
    }
  } finally {
    await Promise.all([a.dispose(), b.dispose(), late.dispose()]);
  }
});
