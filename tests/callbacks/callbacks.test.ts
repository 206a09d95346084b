import { GraphQLClient } from '../support/client.js';
import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { connect, untilSubscribed } from '../support/subscriber.js';

/** Callbacks: scheduling, the top of the queue, preferred agents, outcomes, cancel, the minute job. */
let server: TestServer;
let agentA: number;
let agentB: number;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  server = await startTestServer({
    QUEUE_TOP_N: '1', CALLING_WINDOW_START: '00:00', CALLING_WINDOW_END: '23:59',
    CALLBACK_JOB_CRON: '* * * * * *', CALLBACK_GRACE_MINUTES: '60', PREFERRED_AGENT_GRACE_MINUTES: '15',
  });
  const s = seed(server.db);
  [agentA, agentB] = [await s.agent('Ana'), await s.agent('Bo')];
  const key = async (agent: number) => (await server.admin.data(`mutation($a: ID) { createApiKey(role: AGENT, agentId: $a) { key } }`, { a: String(agent) })).createApiKey.key;
  [keyA, keyB] = [await key(agentA), await key(agentB)];
});
afterAll(() => server.close());

const SCHEDULE = `mutation($i: CallbackInput!) { scheduleCallback(input: $i) {
  callback { id status scheduledFor reason agent { id } queueType entry { id } }
  entry { id status priorityScore availableFrom callbackScheduledFor callbackReason queueType } } }`;
const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
const entryOf = async (userId: number) => (await server.db.sql(
  `SELECT * FROM unsigned_users_queue WHERE user_id = $1 AND status IN ('pending', 'assigned')`, [userId]))[0];
const callbackRow = async (id: string | number) => (await server.db.sql(`SELECT * FROM callbacks WHERE id = $1`, [id]))[0]!;
/** The callback is due now (as if its time had come): both its row and its entry. */
const makeDue = async (callbackId: string | number, minutesAgo = 1) => {
  await server.db.sql(`UPDATE callbacks SET scheduled_for = now() - make_interval(mins => $2) WHERE id = $1`, [callbackId, minutesAgo]);
  await server.db.sql(`UPDATE unsigned_users_queue SET available_from = now() - make_interval(mins => $2), callback_scheduled_for = now() - make_interval(mins => $2)
    WHERE callback_id = $1`, [callbackId, minutesAgo]);
};

it('a callback for a claimant with no entry creates one at the top of its queue, which a repopulation keeps', async () => {
  const s = seed(server.db);
  const user = await s.claimant({ score: 10 });
  await s.claimant({ score: 9000 }); // outranks it: with QUEUE_TOP_N=1 only this one makes the cut
  const when = inHours(2);
  const { callback, entry } = (await server.admin.data(SCHEDULE, { i: { userId: String(user), scheduledFor: when, reason: 'asked to call back after lunch' } })).scheduleCallback;
  expect(callback).toMatchObject({ status: 'PENDING', agent: null, queueType: 'UNSIGNED_USERS', entry: { id: entry.id } });
  expect(entry).toMatchObject({ status: 'PENDING', priorityScore: 9999, availableFrom: when, callbackScheduledFor: when, callbackReason: 'asked to call back after lunch' });

  const run = (await server.admin.data(`mutation { repopulateQueues { status } }`)).repopulateQueues;
  expect(run.status).toBe('SUCCEEDED');
  expect(await entryOf(user)).toMatchObject({ id: Number(entry.id), priority_score: 9999, callback_id: Number(callback.id) });
});

it('an AGENT schedules for itself on an existing entry (kept, raised), and a new callback supersedes the pending one', async () => {
  const s = seed(server.db);
  const user = await s.claimant();
  const existing = await s.entry({ userId: user, priorityScore: 400 });
  const agent = new GraphQLClient(server.app.url, keyA);
  const first = (await agent.data(SCHEDULE, { i: { userId: String(user), scheduledFor: inHours(1), reason: 'first' } })).scheduleCallback;
  expect(first.callback.agent).toEqual({ id: String(agentA) });
  expect(first.entry).toMatchObject({ id: String(existing), priorityScore: 9999 });
  const second = (await agent.data(SCHEDULE, { i: { userId: String(user), scheduledFor: inHours(3), reason: 'second', agentId: String(agentA) } })).scheduleCallback;
  expect(second.entry.id).toBe(String(existing));
  expect((await callbackRow(first.callback.id)).status).toBe('cancelled');
  expect(await entryOf(user)).toMatchObject({ callback_id: Number(second.callback.id), callback_reason: 'second' });
});

it('a due callback with a preferred agent goes to that agent only, until the grace passes', async () => {
  const s = seed(server.db);
  const user = await s.claimant();
  const { callback } = (await server.admin.data(SCHEDULE, { i: { userId: String(user), scheduledFor: inHours(1), reason: 'preferred', agentId: String(agentA) } })).scheduleCallback;
  await makeDue(callback.id);
  const claim = (key: string, agent: number) => new GraphQLClient(server.app.url, key)
    .data(`mutation($a: ID!) { assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { id userId } }`, { a: String(agent) });
  // Bo sees other claimants, never this one.
  const byB = (await claim(keyB, agentB)).assignNextUser;
  expect(byB?.userId).not.toBe(String(user));
  if (byB) await server.admin.data(`mutation($e: ID!) { releaseEntry(entryId: $e) { id } }`, { e: byB.id });
  const byA = (await claim(keyA, agentA)).assignNextUser;
  expect(byA.userId).toBe(String(user));
  await server.admin.data(`mutation($e: ID!) { releaseEntry(entryId: $e) { id } }`, { e: byA.id });
  // Past the 15-minute grace, anyone may take it.
  await makeDue(callback.id, 20);
  const late = (await claim(keyB, agentB)).assignNextUser;
  expect(late.userId).toBe(String(user));
  await server.admin.data(`mutation($e: ID!) { releaseEntry(entryId: $e) { id } }`, { e: late.id });
});

it('an outcome on a due callback entry completes the callback and returns the entry to its normal priority', async () => {
  const s = seed(server.db);
  const user = await s.claimant();
  const { callback } = (await server.admin.data(SCHEDULE, { i: { userId: String(user), scheduledFor: inHours(1), reason: 'due soon', agentId: String(agentB) } })).scheduleCallback;
  await makeDue(callback.id);
  const agent = new GraphQLClient(server.app.url, keyB);
  const claimed = (await agent.data(`mutation($a: ID!) { assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { id userId } }`, { a: String(agentB) })).assignNextUser;
  expect(claimed.userId).toBe(String(user));
  const outcome = (await agent.data(`mutation($e: ID!) { recordCallOutcome(input: { entryId: $e, outcome: NO_ANSWER }) {
    entry { status priorityScore callbackScheduledFor callback { id } } } }`, { e: claimed.id })).recordCallOutcome;
  expect(outcome.entry).toMatchObject({ status: 'PENDING', callbackScheduledFor: null, callback: null });
  expect(outcome.entry.priorityScore).toBeLessThan(9999);
  expect(await callbackRow(callback.id)).toMatchObject({ status: 'completed', closed_at: expect.any(Date) });
});

it('a callback scheduled during the call outlives that call: the entry waits for it', async () => {
  const s = seed(server.db);
  const user = await s.claimant();
  // Agent Ana is on the call with this claimant.
  const claimed = { id: String(await s.entry({ userId: user, status: 'assigned', agentId: agentA })) };
  const agent = new GraphQLClient(server.app.url, keyA);
  const when = inHours(5);
  const { callback } = (await agent.data(SCHEDULE, { i: { userId: String(user), scheduledFor: when, reason: 'call me tonight' } })).scheduleCallback;
  const outcome = (await agent.data(`mutation($e: ID!) { recordCallOutcome(input: { entryId: $e, outcome: CALLBACK_REQUESTED }) {
    entry { status availableFrom priorityScore callback { id status } } } }`, { e: claimed.id })).recordCallOutcome;
  expect(outcome.entry).toMatchObject({ status: 'PENDING', availableFrom: when, priorityScore: 9999, callback: { id: callback.id, status: 'PENDING' } });
});

it('cancelling returns the entry to normal priority, or takes out the entry the callback created', async () => {
  const s = seed(server.db);
  const withEntry = await s.claimant();
  const entryId = await s.entry({ userId: withEntry, priorityScore: 321 });
  const kept = (await server.admin.data(SCHEDULE, { i: { userId: String(withEntry), scheduledFor: inHours(1), reason: 'x' } })).scheduleCallback;
  const cancelled = (await server.admin.data(`mutation($id: ID!) { cancelCallback(id: $id) { id status } }`, { id: kept.callback.id })).cancelCallback;
  expect(cancelled.status).toBe('CANCELLED');
  const after = await entryOf(withEntry);
  expect(after).toMatchObject({ id: entryId, status: 'pending', callback_id: null, callback_reason: null });
  expect(after!.priority_score).toBeLessThan(9999);
  expect(after!.available_from.getTime()).toBeLessThanOrEqual(Date.now());

  const without = await s.claimant();
  const created = (await server.admin.data(SCHEDULE, { i: { userId: String(without), scheduledFor: inHours(1), reason: 'y' } })).scheduleCallback;
  await server.admin.data(`mutation($id: ID!) { cancelCallback(id: $id) { id } }`, { id: created.callback.id });
  expect(await entryOf(without)).toBeUndefined();
  const [closed] = await server.db.sql(`SELECT status, closed_reason FROM unsigned_users_queue WHERE id = $1`, [created.entry.id]);
  expect(closed).toEqual({ status: 'removed', closed_reason: 'callback cancelled' });
});

it('the minute job announces due callbacks once, to their agent, and marks overdue ones missed', async () => {
  const s = seed(server.db);
  // Earlier tests' due callbacks are announced first; start from a quiet moment.
  for (let quiet = false; !quiet; await new Promise((r) => setTimeout(r, 100))) {
    const [row] = await server.db.sql(`SELECT count(*)::int AS n FROM callbacks WHERE status = 'pending' AND due_notified_at IS NULL AND scheduled_for <= now()`);
    quiet = row!.n === 0;
  }
  const subscriber = connect(server.app.url, keyA);
  try {
    const before = server.app.liveSubscriptions();
    const stream = subscriber.subscribe(`subscription { callbackDue { id reason agent { id } } }`);
    await untilSubscribed(() => server.app.liveSubscriptions(), before + 1);
    const user = await s.claimant();
    const { callback } = (await server.admin.data(SCHEDULE, { i: { userId: String(user), scheduledFor: inHours(1), reason: 'due now', agentId: String(agentA) } })).scheduleCallback;
    await makeDue(callback.id);
    expect((await stream.next(5000)).data.callbackDue).toEqual({ id: callback.id, reason: 'due now', agent: { id: String(agentA) } });
    expect((await callbackRow(callback.id)).due_notified_at).toEqual(expect.any(Date));
    await new Promise((r) => setTimeout(r, 1500)); // another tick or two: no second announcement
    expect(stream.pending()).toBe(0);

    // Past the 60-minute grace: missed, and the entry goes back to normal priority.
    await makeDue(callback.id, 61);
    const deadline = Date.now() + 5000;
    while ((await callbackRow(callback.id)).status !== 'missed') {
      if (Date.now() > deadline) throw new Error('the callback was not marked missed');
      await new Promise((r) => setTimeout(r, 100));
    }
    const entry = await entryOf(user);
    expect(entry).toMatchObject({ status: 'pending', callback_id: null });
    expect(entry!.priority_score).toBeLessThan(9999);
  } finally {
    await subscriber.dispose();
  }
});

describe('refusals change nothing', () => {
  let user: number;
  let counts: () => Promise<unknown>;
  beforeAll(async () => {
    user = await seed(server.db).claimant();
    counts = async () => server.db.sql(`SELECT (SELECT count(*) FROM callbacks)::int AS callbacks,
      (SELECT count(*) FROM unsigned_users_queue)::int AS entries, (SELECT count(*) FROM queue_transitions)::int AS moves`);
  });
  const schedule = (client: GraphQLClient, input: Record<string, unknown>) => client.errorCode(SCHEDULE, { i: { userId: String(user), reason: 'r', scheduledFor: inHours(1), ...input } });

  it('bad times, unknown or converted claimants, another agent, empty reasons', async () => {
    const before = await counts();
    expect(await schedule(server.admin, { scheduledFor: inHours(-1) })).toBe('BAD_USER_INPUT');
    expect(await schedule(server.admin, { scheduledFor: inHours(31 * 24) })).toBe('BAD_USER_INPUT');
    expect(await schedule(server.admin, { reason: '  ' })).toBe('BAD_USER_INPUT');
    expect(await schedule(server.admin, { userId: '987654321' })).toBe('NOT_FOUND');
    expect(await schedule(server.admin, { agentId: '99999' })).toBe('NOT_FOUND');
    expect(await schedule(new GraphQLClient(server.app.url, keyA), { agentId: String(agentB) })).toBe('FORBIDDEN');
    const viewer = (await server.admin.data(`mutation { createApiKey(role: INTEGRATOR) { key } }`)).createApiKey.key;
    expect(await schedule(server.client(viewer), {})).toBe('FORBIDDEN');
    const converted = await seed(server.db).claimant();
    await server.db.sql(`UPDATE claimants SET converted_at = now() WHERE user_id = $1`, [converted]);
    expect(await schedule(server.admin, { userId: String(converted) })).toBe('CONFLICT');
    const dnc = await seed(server.db).claimant({ doNotCall: true });
    expect(await schedule(server.admin, { userId: String(dnc) })).toBe('CONFLICT');
    const retired = await seed(server.db).agent();
    await server.db.sql(`UPDATE agents SET is_active = false WHERE id = $1`, [retired]);
    expect(await schedule(server.admin, { agentId: String(retired) })).toBe('CONFLICT');
    expect(await counts()).toEqual(before);
  });

  it('cancelling a completed, unknown or another agent’s callback', async () => {
    const { callback } = (await server.admin.data(SCHEDULE, { i: { userId: String(user), scheduledFor: inHours(1), reason: 'r', agentId: String(agentB) } })).scheduleCallback;
    const before = await counts();
    const cancel = (client: GraphQLClient, id: string) => client.errorCode(`mutation($id: ID!) { cancelCallback(id: $id) { id } }`, { id });
    expect(await cancel(new GraphQLClient(server.app.url, keyA), callback.id)).toBe('FORBIDDEN');
    expect(await cancel(server.admin, '987654')).toBe('NOT_FOUND');
    expect(await cancel(server.admin, 'abc')).toBe('BAD_USER_INPUT');
    await server.db.sql(`UPDATE callbacks SET status = 'completed' WHERE id = $1`, [callback.id]);
    expect(await cancel(new GraphQLClient(server.app.url, keyB), callback.id)).toBe('CONFLICT');
    expect(await counts()).toEqual(before);
    expect((await callbackRow(callback.id)).status).toBe('completed');
  });
});

