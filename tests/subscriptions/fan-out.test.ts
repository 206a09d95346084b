import type { App } from '../../src/app.js';
import { pgNotifyPublisher } from '../../src/modules/events/events.js';
import { LISTENER_APPLICATION_NAME } from '../../src/modules/events/listener.js';
import { GraphQLClient } from '../support/client.js';
import { seed } from '../support/seed.js';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../support/server.js';
import { connect, untilSubscribed, type Subscriber } from '../support/subscriber.js';

/** Events cross instances through Postgres: a change made on B reaches a subscriber on A. */
let server: TestServer;
let a: App;
let b: App;
let adminOnB: GraphQLClient;
const open: Subscriber[] = [];

beforeAll(async () => {
  server = await startTestServer();
  a = server.app;
  b = await server.startAnother();
  adminOnB = new GraphQLClient(b.url, TEST_ADMIN_KEY);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.dispose()));
  // The server unsubscribes when it sees the close; later tests count from zero.
  for (const app of [a, b]) await untilSubscribed(() => -app.liveSubscriptions(), 0);
});
afterAll(() => server.close());

function subscriberOn(app: App, key: string | null = TEST_ADMIN_KEY): Subscriber {
  const s = connect(app.url, key);
  open.push(s);
  return s;
}

const enqueue = (client: GraphQLClient, userId: number) =>
  client.data(`mutation($u: ID!) { enqueueUser(input: { userId: $u, queueType: UNSIGNED_USERS }) { id } }`, { u: String(userId) });

const QUEUE_CHANGED = `subscription($t: QueueType) { queueChanged(queueType: $t) {
  kind queueType userId at entry { id userId status queueType ... on UnsignedUserEntry { urgentSignature } } } }`;

it('a subscriber on A receives enqueues made through B, in commit order, with the current entry', async () => {
  const s = seed(server.db);
  const users = [await s.claimant(), await s.claimant(), await s.claimant()];
  const before = a.liveSubscriptions();
  const stream = subscriberOn(a).subscribe(QUEUE_CHANGED, { t: 'UNSIGNED_USERS' });
  await untilSubscribed(() => a.liveSubscriptions(), before + 1);

  const ids = [];
  for (const user of users) ids.push((await enqueue(adminOnB, user)).enqueueUser.id);

  for (let i = 0; i < users.length; i += 1) {
    const { data } = await stream.next();
    expect(data.queueChanged).toMatchObject({
      kind: 'ENTRY_ADDED', queueType: 'UNSIGNED_USERS', userId: String(users[i]),
      entry: { id: ids[i], userId: String(users[i]), status: 'PENDING', urgentSignature: false },
    });
    expect(Date.parse(data.queueChanged.at)).toBeLessThanOrEqual(Date.now());
  }
});

it('subscribers asking the same thing share an execution, and each still gets every event', async () => {
  const s = seed(server.db);
  const before = a.liveSubscriptions();
  const streams = [subscriberOn(a), subscriberOn(a), subscriberOn(a)].map((c) => c.subscribe(QUEUE_CHANGED, { t: 'UNSIGNED_USERS' }));
  await untilSubscribed(() => a.liveSubscriptions(), before + 3);
  const first = await s.claimant();
  await enqueue(adminOnB, first);
  for (const stream of streams) expect((await stream.next()).data.queueChanged).toMatchObject({ userId: String(first), entry: { status: 'PENDING' } });

  // One member leaving does not end the others' stream.
  streams[0]!.unsubscribe();
  await untilSubscribed(() => -a.liveSubscriptions(), -(before + 2));
  const second = await s.claimant();
  await enqueue(adminOnB, second);
  for (const stream of streams.slice(1)) expect((await stream.next()).data.queueChanged.userId).toBe(String(second));
  expect(streams[0]!.pending()).toBe(0);
});

it('nothing is announced for a rolled-back write; the next committed one arrives alone', async () => {
  const before = a.liveSubscriptions();
  const stream = subscriberOn(a).subscribe(QUEUE_CHANGED, {});
  await untilSubscribed(() => a.liveSubscriptions(), before + 1);

  const em = b.orm.em.fork();
  await expect(em.transactional(async (tx) => {
    await pgNotifyPublisher.publish(tx, { topic: 'queueChanged', kind: 'ENTRY_ADDED', queueType: 'unsigned_users', userId: 1, entryId: null });
    throw new Error('the write fails after publishing');
  })).rejects.toThrow('the write fails');
  const user = await seed(server.db).claimant();
  await enqueue(adminOnB, user);

  const { data } = await stream.next();
  expect(data.queueChanged).toMatchObject({ kind: 'ENTRY_ADDED', userId: String(user) });
  await new Promise((r) => setTimeout(r, 200));
  expect(stream.pending()).toBe(0);
});

it('a queueChanged filter on one queue does not receive the other queue', async () => {
  const s = seed(server.db);
  const before = a.liveSubscriptions();
  const stream = subscriberOn(a).subscribe(QUEUE_CHANGED, { t: 'OUTSTANDING_REQUESTS' });
  await untilSubscribed(() => a.liveSubscriptions(), before + 1);
  await enqueue(adminOnB, await s.claimant());
  const outstanding = await s.claimant({ signatureStatus: 'obtained' });
  await s.requirement(outstanding);
  await adminOnB.data(`mutation($u: ID!) { enqueueUser(input: { userId: $u, queueType: OUTSTANDING_REQUESTS }) { id } }`, { u: String(outstanding) });
  const { data } = await stream.next();
  expect(data.queueChanged).toMatchObject({ queueType: 'OUTSTANDING_REQUESTS', userId: String(outstanding) });
});

it('a VIEWER receives queueStats: the snapshot at once, then a fresh one after a change', async () => {
  const viewerKey = (await server.admin.data(`mutation { createApiKey(role: VIEWER) { key } }`)).createApiKey.key;
  const stream = subscriberOn(a, viewerKey).subscribe(`subscription { queueStats(queueType: UNSIGNED_USERS) { type depth availableNow } }`);
  const first = (await stream.next()).data.queueStats;
  expect(first.type).toBe('UNSIGNED_USERS');
  await enqueue(adminOnB, await seed(server.db).claimant());
  const second = (await stream.next()).data.queueStats;
  expect(second.depth).toBe(first.depth + 1);
});

it('queueStats coalesces a burst of changes into few snapshots, the last one current', async () => {
  const s = seed(server.db);
  const users = [];
  for (let i = 0; i < 12; i += 1) users.push(await s.claimant());
  const stream = subscriberOn(a).subscribe(`subscription { queueStats(queueType: UNSIGNED_USERS) { depth } }`);
  const start = (await stream.next()).data.queueStats.depth;
  await Promise.all(users.map((u) => enqueue(adminOnB, u)));
  let last = start;
  let snapshots = 0;
  while (last < start + users.length) {
    last = (await stream.next()).data.queueStats.depth;
    snapshots += 1;
  }
  expect(last).toBe(start + users.length);
  expect(snapshots).toBeLessThan(users.length);
});

it('no key: the connection is refused with a close reason that says what is missing', async () => {
  const closed = await subscriberOn(a, null).closed;
  expect(closed.code).toBe(4401);
  expect(closed.reason).toMatch(/API key is required/);
  const unknown = await subscriberOn(a, 'cq_not-a-key').closed;
  expect(unknown.code).toBe(4401);
  expect(unknown.reason).toMatch(/unknown or revoked/);
});

it('an AGENT receives only its own callbacks and may not follow another agent', async () => {
  const s = seed(server.db);
  const [mine, other] = [await s.agent(), await s.agent()];
  const key = (await server.admin.data(`mutation($a: ID) { createApiKey(role: AGENT, agentId: $a) { key } }`, { a: String(mine) })).createApiKey.key;
  const agentConnection = subscriberOn(a, key);
  const refused = await agentConnection.subscribe(`subscription($a: ID) { callbackDue(agentId: $a) { id } }`, { a: String(other) }).next();
  expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

  const before = a.liveSubscriptions();
  const own = agentConnection.subscribe(`subscription { callbackDue { id agent { id } claimant { userId } } }`);
  await untilSubscribed(() => a.liveSubscriptions(), before + 1);
  const user = await s.claimant();
  const theirs = await s.callback(await s.claimant(), new Date(), other);
  const ours = await s.callback(user, new Date(), mine);
  const em = b.orm.em.fork();
  await em.transactional(async (tx) => {
    await pgNotifyPublisher.publish(tx, { topic: 'callbackDue', callbackId: theirs, agentId: other });
    await pgNotifyPublisher.publish(tx, { topic: 'callbackDue', callbackId: ours, agentId: mine });
  });
  expect((await own.next()).data.callbackDue).toEqual({ id: String(ours), agent: { id: String(mine) }, claimant: { userId: String(user) } });
});

it('conversionRecorded announces a conversion made on another instance', async () => {
  const before = a.liveSubscriptions();
  const stream = subscriberOn(a).subscribe(`subscription { conversionRecorded { id userId conversionType } }`);
  await untilSubscribed(() => a.liveSubscriptions(), before + 1);
  const user = await seed(server.db).claimant({ signatureStatus: 'obtained' });
  const conversion = (await adminOnB.data(`mutation($u: ID!) { convertUser(input: { userId: $u, reason: "signed by post" }) { id } }`, { u: String(user) })).convertUser;
  expect((await stream.next()).data.conversionRecorded).toMatchObject({ id: conversion.id, userId: String(user) });
});

it('over WebSocket, invalid and too-deep documents get the same coded errors as over HTTP', async () => {
  const connection = subscriberOn(a);
  const invalid = await connection.subscribe(`subscription { conversionRecorded { nope } }`).next();
  expect(invalid.errors?.[0]).toMatchObject({ message: expect.stringMatching(/nope/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  const unparsable = await connection.subscribe(`subscription {`).next();
  expect(unparsable.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  const deep = `subscription { queueChanged { entry { claimant { queueEntry { claimant { queueEntry { claimant { queueEntry { claimant { queueEntry { id } } } } } } } } } } }`;
  expect((await connection.subscribe(deep).next()).errors?.[0]).toMatchObject({
    message: expect.stringMatching(/levels deep/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
});

it('subscriptions over HTTP are refused with a pointer to WebSocket', async () => {
  const result = await server.admin.request(`subscription { conversionRecorded { id } }`);
  expect(result.status).toBe(400);
  expect(result.errors?.[0]).toMatchObject({ message: expect.stringMatching(/WebSocket/), extensions: { code: 'BAD_REQUEST' } });
});

it('after the LISTEN connection is killed, the instance reconnects, resyncs queueStats and delivers again', async () => {
  const events = subscriberOn(a);
  const before = a.liveSubscriptions();
  const changes = events.subscribe(QUEUE_CHANGED, { t: 'UNSIGNED_USERS' });
  const stats = events.subscribe(`subscription { queueStats(queueType: UNSIGNED_USERS) { depth } }`);
  await untilSubscribed(() => a.liveSubscriptions(), before + 2);
  await stats.next();

  const listeners = async () => server.db.sql(
    `SELECT pid, state, query FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
    [LISTENER_APPLICATION_NAME]);
  const old = await listeners();
  expect(old).toHaveLength(2); // one per instance
  await server.db.sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = $1`, [LISTENER_APPLICATION_NAME]);

  // The resync gives queueStats subscribers a fresh snapshot without any change.
  expect((await stats.next()).data.queueStats.depth).toEqual(expect.any(Number));
  const deadline = Date.now() + 5000;
  for (;;) {
    const now = await listeners();
    const oldPids = new Set(old.map((r) => r.pid));
    if (now.length === 2 && now.every((r) => !oldPids.has(r.pid) && r.state === 'idle' && /LISTEN/.test(r.query))) break;
    if (Date.now() > deadline) throw new Error(`listeners did not come back: ${JSON.stringify(now)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const user = await seed(server.db).claimant();
  await enqueue(adminOnB, user);
  expect((await changes.next()).data.queueChanged).toMatchObject({ kind: 'ENTRY_ADDED', userId: String(user) });
});
