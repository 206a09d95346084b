import { seed } from '../support/seed.js';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../support/server.js';
import { connect } from '../support/subscriber.js';
import { GraphQLClient } from '../support/client.js';

/**
 * The event log: written with every change, read by cursor, and never skipping an event whose
 * transaction commits after later ones.
 */
let server: TestServer;
let s: ReturnType<typeof seed>;

beforeAll(async () => {
  server = await startTestServer();
  s = seed(server.db);
});
afterAll(() => server.close());

const PAGE = `query($a: String, $t: [EventType!], $u: ID, $n: Int) { events(after: $a, types: $t, userId: $u, first: $n) {
  pageInfo { endCursor hasNextPage } nodes { id cursor type queueType userId entryId } } }`;
/** A page as { events, endCursor, hasMore }. */
const page = async (variables: Record<string, unknown> = {}) => {
  const c = (await server.admin.data(PAGE, variables)).events;
  return { events: c.nodes, endCursor: c.pageInfo.endCursor, hasMore: c.pageInfo.hasNextPage };
};
const enqueue = async () => {
  const u = await s.claimant();
  const e = (await server.admin.data(`mutation($u: ID!) { enqueueUser(input: { userId: $u, queueType: UNSIGNED_USERS }) { id } }`, { u: String(u) })).enqueueUser;
  return { userId: String(u), entryId: e.id };
};

/**
 * The log's end, once it has caught up with now: xmin is cluster-wide, so transactions of other
 * test files' databases (running in parallel on the same cluster) can hold events back a moment.
 */
async function caughtUp(): Promise<string> {
  const marker = await enqueue();
  let cursor: string | null = null;
  for (let tries = 0; tries < 100; tries += 1) {
    const { all, cursor: end } = await drain(cursor);
    cursor = end;
    if (all.some((e) => e.userId === marker.userId)) return cursor!;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the event log did not catch up');
}

/** Events after `cursor` until `done` says enough (polling: older transactions may hold them back a moment). */
async function until(cursor: string | null, done: (all: any[]) => boolean) {
  const all: any[] = [];
  for (let tries = 0; tries < 100; tries += 1) {
    const page = await drain(cursor);
    all.push(...page.all);
    cursor = page.cursor;
    if (done(all)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { all, cursor };
}

/** Every event after `cursor`, page by page. */
async function drain(cursor: string | null, n = 2) {
  const all: any[] = [];
  for (;;) {
    const p = await page({ a: cursor, n });
    all.push(...p.events);
    cursor = p.endCursor;
    if (!p.hasMore) return { all, cursor };
  }
}

it('records each change in the transaction that made it, and pages through it by cursor, filtered by type and claimant', async () => {
  const start = await caughtUp();
  const a = await enqueue();
  const b = await enqueue();
  await server.admin.data(`mutation($u: ID!) { removeFromQueue(userId: $u, reason: "test") { id } }`, { u: a.userId });
  const { all, cursor } = await until(start, (events) => events.length >= 3);
  expect(all.map((e) => [e.type, e.userId])).toEqual([['ENTRY_ADDED', a.userId], ['ENTRY_ADDED', b.userId], ['ENTRY_REMOVED', a.userId]]);
  expect(all[0]).toMatchObject({ queueType: 'UNSIGNED_USERS', entryId: a.entryId });
  expect((await page({ a: cursor })).events).toEqual([]);
  expect((await page({ a: cursor })).endCursor).toBe(cursor); // nothing new: the same cursor back
  expect((await page({ a: start, t: ['ENTRY_REMOVED'] })).events.map((e: any) => e.userId)).toEqual([a.userId]);
  expect((await page({ a: start, u: b.userId })).events.map((e: any) => e.type)).toEqual(['ENTRY_ADDED']);
  // A refused change writes no event.
  await server.admin.request(`mutation($u: ID!) { enqueueUser(input: { userId: $u, queueType: UNSIGNED_USERS }) { id } }`, { u: '987654' });
  expect((await page({ a: cursor })).events).toEqual([]);
  expect(await server.admin.errorCode(PAGE, { a: 'bm90LWEtY3Vyc29y' })).toBe('BAD_USER_INPUT');
  // A cursor whose event the retention deleted: refused, naming the oldest cursor still kept.
  const [oldest] = await server.db.sql(`SELECT txid::text AS txid, id FROM event_log ORDER BY txid, id LIMIT 1`);
  await server.db.sql(`DELETE FROM event_log WHERE txid = $1::xid8 AND id = $2`, [oldest!.txid, oldest!.id]);
  const expired = await server.admin.request(PAGE, { a: Buffer.from(`${oldest!.txid}:${oldest!.id}`).toString('base64url') });
  expect(expired.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', oldestCursor: expect.any(String) }, message: expect.stringMatching(/older than the event log keeps/) });
});

it('never skips an event that commits late: a transaction held open holds back newer events, then all come in order', async () => {
  const start = await caughtUp();
  const late = await server.db.connect();
  try {
    // A change that began first and commits last (as a slow writer's would).
    await late.query('BEGIN');
    await late.query(`INSERT INTO event_log (type, user_id) VALUES ('ENTRY_UPDATED', 424242)`);
    const first = await enqueue();   // commits while the slow one is open
    const second = await enqueue();
    // The newer events are committed, but handing them out now would move a cursor past the open one.
    const held = await drain(start);
    expect(held.all).toEqual([]);
    await late.query('COMMIT');
    const { all } = await until(held.cursor, (events) => events.length >= 3);
    expect(all.map((e) => [e.type, e.userId])).toEqual([
      ['ENTRY_UPDATED', '424242'], ['ENTRY_ADDED', first.userId], ['ENTRY_ADDED', second.userId],
    ]);
  } finally {
    await late.end();
  }
});

it('eventLog resumes from the last cursor with no gap and no duplicate, also across a lost change feed', async () => {
  const start = await caughtUp();
  const first = connect(server.app.url, TEST_ADMIN_KEY);
  const stream = first.subscribe(`subscription($a: String) { eventLog(after: $a, types: [ENTRY_ADDED]) { cursor type userId } }`, { a: start });
  const a = await enqueue();
  const b = await enqueue();
  const got = [(await stream.next(5000)).data.eventLog, (await stream.next(5000)).data.eventLog];
  expect(got.map((e) => e.userId)).toEqual([a.userId, b.userId]);
  await first.dispose();

  // Disconnected: a change is made; then the service loses its LISTEN connection and another is made.
  const missed = await enqueue();
  const second = connect(server.app.url, TEST_ADMIN_KEY);
  try {
    const resumed = second.subscribe(`subscription($a: String) { eventLog(after: $a, types: [ENTRY_ADDED]) { cursor userId } }`, { a: got[1].cursor });
    expect((await resumed.next(5000)).data.eventLog.userId).toBe(missed.userId);
    await server.db.sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'callqueue-listener' AND datname = current_database()`);
    const during = await enqueue();
    expect((await resumed.next(8000)).data.eventLog.userId).toBe(during.userId);
    const after = await enqueue();
    expect((await resumed.next(5000)).data.eventLog.userId).toBe(after.userId);
    expect(resumed.pending()).toBe(0);
  } finally {
    await second.dispose();
  }
  const third = connect(server.app.url, TEST_ADMIN_KEY);
  try {
    const refused = await third.subscribe(`subscription { eventLog(after: "bm9wZQ") { cursor } }`).next();
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  } finally {
    await third.dispose();
  }
});

it('queueChanged carries cursors and resumes after one: exactly the missed events, then live', async () => {
  const live = connect(server.app.url, TEST_ADMIN_KEY);
  let last: string;
  try {
    const stream = live.subscribe(`subscription { queueChanged(queueType: UNSIGNED_USERS) { kind userId cursor } }`);
    await new Promise((resolve) => setTimeout(resolve, 200)); // subscribed
    const a = await enqueue();
    const event = (await stream.next(5000)).data.queueChanged;
    expect(event).toMatchObject({ kind: 'ENTRY_ADDED', userId: a.userId, cursor: expect.any(String) });
    last = event.cursor;
  } finally {
    await live.dispose();
  }
  const missed = [await enqueue(), await enqueue()];
  const back = connect(server.app.url, TEST_ADMIN_KEY);
  try {
    const resumed = back.subscribe(`subscription($a: String) { queueChanged(queueType: UNSIGNED_USERS, after: $a) { kind userId cursor entry { id status } } }`, { a: last });
    const got = [(await resumed.next(5000)).data.queueChanged, (await resumed.next(5000)).data.queueChanged];
    expect(got.map((e) => [e.kind, e.userId, e.entry.status])).toEqual(missed.map((m) => ['ENTRY_ADDED', m.userId, 'PENDING']));
    const next = await enqueue();
    expect((await resumed.next(5000)).data.queueChanged.userId).toBe(next.userId);
    expect(resumed.pending()).toBe(0);
  } finally {
    await back.dispose();
  }
});

it('keeps log order where transaction ids gain a digit (…999 → …1000): compared as numbers, never as text', async () => {
  const u = await s.claimant();
  // Events of five transactions across the highest power of ten below the current transaction
  // id (…97 to …01: long committed, below any snapshot's xmin), written with those positions and
  // read from the start of the log for this claimant.
  const { xid } = (await server.db.sql(`SELECT pg_current_xact_id()::text::bigint AS xid`))[0]!;
  const power = 10 ** (String(Number(xid) - 100).length - 1);
  const positions = [power - 3, power - 2, power - 1, power, power + 1];
  await server.db.sql(`INSERT INTO event_log (txid, type, user_id, detail)
    SELECT t::text::xid8, 'CLAIMANT_CHANGED', $1, 'ordering' FROM unnest($2::bigint[]) t`, [u, [positions[4], positions[0], positions[3], positions[2], positions[1]]]);
  const page = (await server.admin.data(`query($u: ID!) { events(userId: $u, types: [CLAIMANT_CHANGED], first: 5) { nodes { cursor detail } pageInfo { endCursor } } }`,
    { u: String(u) })).events;
  const txids = page.nodes.map((n: any) => Number(Buffer.from(n.cursor, 'base64url').toString().split(':')[0]));
  expect(txids).toEqual(positions);
  expect(page.nodes.every((n: any) => n.detail === 'ordering')).toBe(true);
  // A page's last cursor is its last event: what follows it is what came after.
  expect(page.pageInfo.endCursor).toBe(page.nodes.at(-1).cursor);
});

/** 100 claimants enqueued one by one through instance `b`, `before(i)` run before each; their ids in order. */
async function hundredChanges(b: { url: string }, before: (i: number) => Promise<void>): Promise<string[]> {
  const onB = new GraphQLClient(b.url, TEST_ADMIN_KEY);
  const users: string[] = [];
  for (let i = 0; i < 100; i += 1) {
    await before(i);
    const u = await s.claimant();
    users.push(String(u));
    await onB.data(`mutation($u: ID!) { enqueueUser(input: { userId: $u, queueType: UNSIGNED_USERS }) { id } }`, { u: String(u) });
  }
  return users;
}

/** The stream delivers exactly these claimants' events, in this order, and nothing more. */
async function expectExactly(stream: { next(ms: number): Promise<any>; pending(): number }, users: string[]): Promise<void> {
  const events: { kind: string; userId: string; cursor: string | null }[] = [];
  // On a mismatch, say what arrived and what the log holds: kinds and log positions tell a
  // duplicate from a reorder.
  const explain = async () => {
    const where = (c: string | null) => (c ? Buffer.from(c, 'base64url').toString() : 'live');
    const log = await server.db.sql(`SELECT txid::text, id, type, user_id FROM event_log WHERE user_id = ANY($1::bigint[]) ORDER BY event_log.txid, event_log.id`, [users]);
    process.stderr.write(`received: ${events.map((e) => `${e.userId}/${e.kind}@${where(e.cursor)}`).join(' ')}\n` +
      `log: ${log.map((r) => `${r.user_id}/${r.type}@${r.txid}:${r.id}`).join(' ')}\n`);
  };
  // Only these claimants' events count (the caughtUp() marker's came first at times, while the
  // log was sorted by the text of its transaction ids: a page's last cursor was not its last event).
  const mine = new Set(users);
  try {
    while (events.filter((e) => mine.has(e.userId)).length < users.length) events.push((await stream.next(10_000)).data.queueChanged);
  } catch (error) {
    await explain();
    throw error;
  }
  const got = events.map((e) => e.userId).filter((u) => mine.has(u));
  if (JSON.stringify(got) !== JSON.stringify(users)) await explain();
  expect(got).toEqual(users);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(stream.pending()).toBe(0);
}

// A's LISTEN connection is killed at the 30th change: the resumed stream reads what piled up
// meanwhile in one batch, which is where log order matters (it once sorted "1000" before "997").
it('a resumed subscriber on instance A gets all 100 changes made through instance B, in order, none twice, while A\'s LISTEN connection is killed', async () => {
  const b = await server.startAnother();
  const start = await caughtUp();
  const subscriber = connect(server.app.url, TEST_ADMIN_KEY);
  try {
    const stream = subscriber.subscribe(`subscription($a: String) { queueChanged(after: $a) { kind userId cursor } }`, { a: start });
    const users = await hundredChanges(b, async (i) => {
      if (i === 30) await server.db.sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'callqueue-listener' AND datname = current_database()`);
    });
    await expectExactly(stream, users);
  } finally {
    await subscriber.dispose();
    await b.close();
  }
}, 60_000);

it('a live subscriber (no cursor) on instance A gets all 100 changes made through B, none twice, while A\'s LISTEN connection is killed again and again', async () => {
  const listeners = async () => (await server.db.sql(`SELECT pid FROM pg_stat_activity WHERE application_name = 'callqueue-listener' AND datname = current_database()`)).map((r) => r.pid as number);
  const before = await listeners();
  const b = await server.startAnother();
  const onlyB = (await listeners()).filter((pid) => !before.includes(pid));
  expect(onlyB).toHaveLength(1);
  await caughtUp();
  const subscriber = connect(server.app.url, TEST_ADMIN_KEY);
  try {
    const stream = subscriber.subscribe(`subscription { queueChanged(queueType: UNSIGNED_USERS) { kind userId cursor } }`);
    // Live from now: the changes begin once the subscription is registered.
    while (server.app.liveSubscriptions() < 1) await new Promise((resolve) => setTimeout(resolve, 20));
    const users = await hundredChanges(b, async (i) => {
      // A's listener only (B's announces nothing to A's subscriber; killing it proves nothing).
      if (i >= 30 && i < 70 && i % 5 === 0) {
        for (const pid of (await listeners()).filter((p) => p !== onlyB[0])) await server.db.sql(`SELECT pg_terminate_backend($1)`, [pid]);
      }
    });
    await expectExactly(stream, users);
  } finally {
    await subscriber.dispose();
    await b.close();
  }
}, 60_000);

it('logs claimant facts, requirements, calls and callbacks as the database writes them, with ids and states, never contact data', async () => {
  const start = await caughtUp();
  const agent = await s.agent();
  const u = String(await s.claimant({ timezone: 'UTC' }));
  await server.admin.data(`mutation($u: ID!) { upsertClaimant(input: { userId: $u, claimId: "C-1", phone: "+1 555 010 9999", doNotCall: false }) { userId } }`, { u });
  const requirement = (await server.admin.data(`mutation($u: ID!) { addRequirement(input: { userId: $u, requirementType: "police_report" }) { id } }`, { u })).addRequirement.id;
  const started = (await server.admin.data(`mutation($u: ID!, $a: ID!) { initiateCall(input: { userId: $u, agentId: $a, callType: DIRECT, overrideReason: "test" }) { session { id } } }`,
    { u, a: String(agent) })).initiateCall.session.id;
  await server.admin.data(`mutation($s: ID!) { endCall(sessionId: $s, outcome: NO_ANSWER) { id } }`, { s: started });
  const callback = (await server.admin.data(`mutation($u: ID!, $t: DateTime!) { scheduleCallback(input: { userId: $u, scheduledFor: $t, reason: "asked", claimantRequested: true }) { callback { id } } }`,
    { u, t: new Date(Date.now() + 3_600_000).toISOString() })).scheduleCallback.callback.id;
  await server.admin.data(`mutation($c: ID!) { cancelCallback(id: $c) { id } }`, { c: callback });

  const types = ['CLAIMANT_CHANGED', 'CALL_STARTED', 'CALL_ENDED', 'CALLBACK_SCHEDULED', 'CALLBACK_CLOSED'];
  const { all } = await until(start, (events) => events.filter((e) => e.userId === u && types.includes(e.type)).length >= 6);
  const page = await server.admin.data(`query($a: String, $u: ID!, $t: [EventType!]) { events(after: $a, userId: $u, types: $t) {
    nodes { type detail callSessionId callbackId requirementId agentId queueType } } }`, { a: start, u, t: types });
  expect(all.filter((e) => e.userId === u && types.includes(e.type))).toHaveLength(6);
  expect(page.events.nodes).toEqual([
    { type: 'CLAIMANT_CHANGED', detail: 'phone', callSessionId: null, callbackId: null, requirementId: null, agentId: null, queueType: null },
    { type: 'CLAIMANT_CHANGED', detail: 'requirement pending', callSessionId: null, callbackId: null, requirementId: requirement, agentId: null, queueType: null },
    // A direct call made outside any queue has no queue.
    { type: 'CALL_STARTED', detail: 'direct', callSessionId: started, callbackId: null, requirementId: null, agentId: String(agent), queueType: null },
    { type: 'CALL_ENDED', detail: 'no_answer', callSessionId: started, callbackId: null, requirementId: null, agentId: String(agent), queueType: null },
    { type: 'CALLBACK_SCHEDULED', detail: 'pending', callSessionId: null, callbackId: callback, requirementId: null, agentId: null, queueType: expect.anything() },
    { type: 'CALLBACK_CLOSED', detail: 'cancelled', callSessionId: null, callbackId: callback, requirementId: null, agentId: null, queueType: expect.anything() },
  ].map((e) => ({ ...e, queueType: e.queueType === null ? null : expect.any(String) })));
  // Raw SQL is logged as well: the triggers are the database's.
  await server.db.sql(`UPDATE claimants SET do_not_call = true WHERE user_id = $1`, [u]);
  const { all: after } = await until(start, (events) => events.some((e) => e.userId === u && e.type === 'CLAIMANT_CHANGED' && events.filter((x) => x.type === 'CLAIMANT_CHANGED' && x.userId === u).length >= 3));
  expect(after.filter((e) => e.type === 'CLAIMANT_CHANGED' && e.userId === u)).toHaveLength(3);
  const rows = await server.db.sql(`SELECT * FROM event_log WHERE user_id = $1`, [u]);
  expect(JSON.stringify(rows)).not.toContain('555 010 9999');
});

it('callbackDue resumes after an event-log cursor: the callbacks that fell due meanwhile, for the agent asked, then live', async () => {
  const start = await caughtUp();
  const agent = await s.agent();
  const other = await s.agent();
  const mine = await s.callback(await s.claimant(), new Date(Date.now() - 1000), agent);
  await s.callback(await s.claimant(), new Date(Date.now() - 1000), other);
  const jobs = await server.startAnother({ CALLBACK_JOB_CRON: '* * * * * *' });
  try {
    await until(start, (events) => events.filter((e) => e.type === 'CALLBACK_DUE').length >= 2);
    const subscriber = connect(server.app.url, TEST_ADMIN_KEY);
    try {
      const stream = subscriber.subscribe(`subscription($a: String, $g: ID) { callbackDue(after: $a, agentId: $g) { id } }`, { a: start, g: String(agent) });
      expect((await stream.next(5000)).data.callbackDue.id).toBe(String(mine));
      const later = await s.callback(await s.claimant(), new Date(Date.now() - 1000), agent);
      expect((await stream.next(5000)).data.callbackDue.id).toBe(String(later));
      expect(stream.pending()).toBe(0);
    } finally {
      await subscriber.dispose();
    }
  } finally {
    await jobs.close();
  }
});

it('conversionRecorded resumes after an event-log cursor: the conversions recorded meanwhile', async () => {
  const start = await caughtUp();
  const converted: string[] = [];
  for (let i = 0; i < 2; i += 1) {
    const u = await s.claimant();
    await server.admin.data(`mutation($u: ID!) { convertUser(input: { userId: $u, reason: "signed" }) { id } }`, { u: String(u) });
    converted.push(String(u));
  }
  const subscriber = connect(server.app.url, TEST_ADMIN_KEY);
  try {
    const stream = subscriber.subscribe(`subscription($a: String) { conversionRecorded(after: $a) { userId } }`, { a: start });
    expect([(await stream.next(5000)).data.conversionRecorded.userId, (await stream.next(5000)).data.conversionRecorded.userId]).toEqual(converted);
  } finally {
    await subscriber.dispose();
  }
});

it('a claim whose notification was never sent (its writer stopped after the commit) reaches live subscribers from the log, once', async () => {
  // The hot writes notify after their commit (migration 0025): here the claim commits with its
  // notification held, and nobody sends it — as if the instance died between the two statements.
  const live = connect(server.app.url, TEST_ADMIN_KEY);
  try {
    const stream = live.subscribe(`subscription { queueChanged(queueType: UNSIGNED_USERS) { kind userId cursor } }`);
    await new Promise((resolve) => setTimeout(resolve, 200)); // subscribed
    const added = await enqueue();
    expect((await stream.next(5000)).data.queueChanged).toMatchObject({ kind: 'ENTRY_ADDED', userId: added.userId });
    const agent = await s.agent();
    const [claimed] = await server.db.sql(`
      SELECT w.result->>'user_id' AS user_id, cardinality(callqueue_outbox_take()) AS held
        FROM (SELECT callqueue_claim($1, 'unsigned_users', 'test', 1000, 50, 15, 900, 0, 1439, 100) AS result
                FROM callqueue_outbox_open() OFFSET 0) w`, [agent]);
    expect(claimed!.held).toBeGreaterThanOrEqual(1);
    // Handed out at the listener's next safe point (EVENT_SAFE_POINT_MS), from the log.
    const event = (await stream.next(15_000)).data.queueChanged;
    expect(event).toMatchObject({ kind: 'ENTRY_ASSIGNED', userId: claimed!.user_id, cursor: expect.any(String) });
    await new Promise((resolve) => setTimeout(resolve, 2500)); // another safe point: not again
    expect(stream.pending()).toBe(0);
  } finally {
    await live.dispose();
  }
});
