import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { connect } from '../support/subscriber.js';
import { GraphQLClient } from '../support/client.js';
import { DAYTIME } from '../support/zones.js';

/**
 * An assignment is a lease: an agent who goes silent loses the entry within seconds of the
 * lapse, on any instance, exactly once; renewing or being on a call keeps it; a late outcome is
 * refused and says why.
 */
let server: TestServer;
let s: ReturnType<typeof seed>;
const LEASE = { ASSIGNMENT_LEASE_SECONDS: '3', LEASE_JOB_CRON: '* * * * * *' };

beforeAll(async () => {
  server = await startTestServer(LEASE);
  s = seed(server.db);
});
afterAll(() => server.close());

const CLAIM = `mutation($a: ID!) { assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { id userId priorityScore enqueuedAt status leaseExpiresAt } }`;
const ENTRY = `query($e: ID!) { queueEntry(id: $e) { id status priorityScore enqueuedAt leaseExpiresAt assignedAgent { id } } }`;

async function agentWithKey() {
  const agent = await s.agent();
  const key = (await server.admin.data(`mutation($a: ID) { createApiKey(role: AGENT, agentId: $a) { key } }`, { a: String(agent) })).createApiKey.key;
  return { agent, client: new GraphQLClient(server.app.url, key) };
}

/** A claimant alone at the top of the unsigned queue, callable now. */
async function topClaimant(): Promise<number> {
  const user = await s.claimant({ timezone: DAYTIME() });
  await server.admin.data(`mutation($u: ID!) { enqueueUser(input: { userId: $u, queueType: UNSIGNED_USERS, priorityScore: 9998 }) { id } }`, { u: String(user) });
  return user;
}

async function until<T>(ms: number, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

it('a silent agent loses the entry within 10 s of the lapse — once, across two instances — and a late outcome is refused', async () => {
  const other = await server.startAnother(LEASE); // a second instance runs the lease job too
  const subscriber = connect(server.app.url, 'test-admin-key-0123456789abcdef');
  try {
    const events = subscriber.subscribe(`subscription { queueChanged(queueType: UNSIGNED_USERS) { kind entry { id } } }`);
    const user = await topClaimant();
    const first = await agentWithKey();
    const claimed = (await first.client.data(CLAIM, { a: String(first.agent) })).assignNextUser;
    expect(claimed.userId).toBe(String(user));
    const lapse = Date.parse(claimed.leaseExpiresAt);
    expect(lapse - Date.now()).toBeGreaterThan(1000);
    expect(lapse - Date.now()).toBeLessThanOrEqual(3000);

    const back = await until(14_000, async () => (await server.admin.data(ENTRY, { e: claimed.id })).queueEntry, (e) => e.status === 'PENDING');
    expect(back).toMatchObject({ id: claimed.id, status: 'PENDING', priorityScore: claimed.priorityScore, enqueuedAt: claimed.enqueuedAt, leaseExpiresAt: null, assignedAgent: null });
    expect(Date.now() - lapse).toBeLessThan(10_000);
    const moves = await server.db.sql(`SELECT reason, from_queue, to_queue FROM queue_transitions WHERE user_id = $1 AND reason = 'lease expired'`, [user]);
    expect(moves).toEqual([{ reason: 'lease expired', from_queue: 'unsigned_users', to_queue: 'unsigned_users' }]);
    let released = false;
    while (!released) {
      const event = (await events.next(5000)).data.queueChanged;
      released = event.kind === 'ENTRY_RELEASED' && event.entry.id === claimed.id;
    }

    // The agent who lost it is told so, and nothing changes.
    const [before] = await server.db.sql(`SELECT status, updated_at FROM unsigned_users_queue WHERE id = $1`, [claimed.id]);
    const late = await first.client.request(`mutation($e: ID!) { recordCallOutcome(input: { entryId: $e, outcome: ANSWERED }) { entry { id } } }`, { e: claimed.id });
    expect(late.errors![0]).toMatchObject({ extensions: { code: 'CONFLICT', leaseExpiredAt: expect.any(String) }, message: expect.stringMatching(/lapsed at .* went back to its queue/) });
    expect(await server.db.sql(`SELECT status, updated_at FROM unsigned_users_queue WHERE id = $1`, [claimed.id])).toEqual([before]);
    // Another agent claims it.
    const second = await agentWithKey();
    expect((await second.client.data(CLAIM, { a: String(second.agent) })).assignNextUser.id).toBe(claimed.id);
    await second.client.data(`mutation($e: ID!) { recordCallOutcome(input: { entryId: $e, outcome: ANSWERED }) { entry { status } } }`, { e: claimed.id });
  } finally {
    await subscriber.dispose();
    await other.close();
  }
});

it('renewing keeps the entry, and so does being on a call with the claimant', async () => {
  const renewer = await agentWithKey();
  await topClaimant();
  const kept = (await renewer.client.data(CLAIM, { a: String(renewer.agent) })).assignNextUser;
  for (let i = 0; i < 5; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const renewed = (await renewer.client.data(`mutation($e: ID!) { renewAssignment(entryId: $e) { id status leaseExpiresAt } }`, { e: kept.id })).renewAssignment;
    expect(renewed.status).toBe('ASSIGNED');
    expect(Date.parse(renewed.leaseExpiresAt)).toBeGreaterThan(Date.now() + 2000);
  }
  await server.admin.data(`mutation($u: ID!) { removeFromQueue(userId: $u, reason: "done with it") { id } }`, { u: kept.userId });

  const caller = await agentWithKey();
  const user = await topClaimant();
  const onCall = (await caller.client.data(CLAIM, { a: String(caller.agent) })).assignNextUser;
  expect(onCall.userId).toBe(String(user));
  const call = (await caller.client.data(`mutation($u: ID!, $a: ID!) { initiateCall(input: { userId: $u, agentId: $a, callType: DIRECT }) { status } }`,
    { u: String(user), a: String(caller.agent) })).initiateCall;
  expect(call.status).toBe('STARTED');
  await new Promise((resolve) => setTimeout(resolve, 6000)); // twice the lease
  expect((await server.admin.data(ENTRY, { e: onCall.id })).queueEntry.status).toBe('ASSIGNED');
}, 30_000);

describe('refusals change nothing', () => {
  it('renewing another agent\'s entry, an entry not assigned, an unknown entry, or as a VIEWER', async () => {
    const holder = await agentWithKey();
    const stranger = await agentWithKey();
    await topClaimant();
    const held = (await holder.client.data(CLAIM, { a: String(holder.agent) })).assignNextUser;
    const pending = await s.claimant({ timezone: DAYTIME() });
    const pendingEntry = await s.entry({ userId: pending });
    // The entries refused here (an earlier test's entry on a call has its lease renewed by the job meanwhile).
    const leases = () => server.db.sql(`SELECT * FROM assignment_leases WHERE entry_id = ANY($1::bigint[]) ORDER BY entry_id`, [[held.id, pendingEntry]]);
    const before = await leases();
    const RENEW = `mutation($e: ID!) { renewAssignment(entryId: $e) { id } }`;
    expect(await stranger.client.errorCode(RENEW, { e: held.id })).toBe('CONFLICT');
    expect(await holder.client.errorCode(RENEW, { e: String(pendingEntry) })).toBe('CONFLICT');
    expect(await holder.client.errorCode(RENEW, { e: '987654321' })).toBe('NOT_FOUND');
    const viewer = (await server.admin.data(`mutation { createApiKey(role: VIEWER) { key } }`)).createApiKey.key;
    expect(await server.client(viewer).errorCode(RENEW, { e: held.id })).toBe('FORBIDDEN');
    expect(await server.admin.errorCode(RENEW, { e: 'x' })).toBe('BAD_USER_INPUT');
    expect(await leases()).toEqual(before);
  });
});
