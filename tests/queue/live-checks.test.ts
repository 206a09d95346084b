import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { DAYTIME, NIGHT } from '../support/zones.js';

/**
 * Each live check of a claim (README, "Claiming"): an invalid entry at the head of the queue is
 * removed with its reason, or deferred (still there, available later), and the agent gets the
 * valid entry behind it.
 */
let server: TestServer;
let s: ReturnType<typeof seed>;

beforeAll(async () => {
  server = await startTestServer();
  s = seed(server.db);
});
afterAll(() => server.close());

const CLAIM = `mutation($a: ID!, $q: QueueType!) { assignNextUser(agentId: $a, queueType: $q) { id userId } }`;

async function claimPast(invalid: { userId: number; queueType?: 'unsigned_users' | 'outstanding_requests'; callbackId?: number }, agent?: number) {
  const queueType = invalid.queueType ?? 'unsigned_users';
  const bad = await s.entry({ userId: invalid.userId, queueType, priorityScore: 9900, callbackId: invalid.callbackId ?? null });
  const good = await s.claimant({ timezone: DAYTIME(), signatureStatus: queueType === 'unsigned_users' ? 'missing' : 'obtained' });
  if (queueType === 'outstanding_requests') await s.requirement(good);
  const goodEntry = await s.entry({ userId: good, queueType, priorityScore: 9800 });
  const agentId = agent ?? (await s.agent());
  const data = await server.admin.data(CLAIM, { a: String(agentId), q: queueType === 'unsigned_users' ? 'UNSIGNED_USERS' : 'OUTSTANDING_REQUESTS' });
  const table = queueType === 'unsigned_users' ? 'unsigned_users_queue' : 'outstanding_requests_queue';
  const [after] = await server.db.sql(`SELECT status, closed_reason, available_from FROM ${table} WHERE id = $1`, [bad]);
  return { claimed: data.assignNextUser, goodEntry, bad: after! };
}

it('removes a claimant who has signed from the unsigned queue', async () => {
  const u = await s.claimant({ timezone: DAYTIME(), signatureStatus: 'obtained' });
  const { claimed, goodEntry, bad } = await claimPast({ userId: u });
  expect(claimed.id).toBe(String(goodEntry));
  expect(bad).toMatchObject({ status: 'removed', closed_reason: 'signature already obtained' });
  const history = await server.db.sql(`SELECT reason FROM queue_transitions WHERE user_id = $1`, [u]);
  expect(history.map((h) => h.reason)).toEqual(['claim check: signature already obtained']);
});

it('removes a do-not-call claimant', async () => {
  const u = await s.claimant({ timezone: DAYTIME(), doNotCall: true });
  const { claimed, goodEntry, bad } = await claimPast({ userId: u });
  expect(claimed.id).toBe(String(goodEntry));
  expect(bad).toMatchObject({ status: 'removed', closed_reason: 'do not call' });
});

it('removes a converted claimant and one whose score is inactive', async () => {
  const converted = await s.claimant({ timezone: DAYTIME() });
  await server.db.sql(`UPDATE claimants SET converted_at = now() WHERE user_id = $1`, [converted]);
  expect((await claimPast({ userId: converted })).bad).toMatchObject({ status: 'removed', closed_reason: 'already converted' });
  const inactive = await s.claimant({ timezone: DAYTIME() });
  await server.db.sql(`UPDATE user_call_scores SET is_active = false WHERE user_id = $1`, [inactive]);
  expect((await claimPast({ userId: inactive })).bad).toMatchObject({ status: 'removed', closed_reason: 'score inactive' });
});

it('removes an outstanding entry with no requirement pending', async () => {
  const u = await s.claimant({ timezone: DAYTIME(), signatureStatus: 'obtained' });
  await s.requirement(u, 'medical_records', 'received');
  const { claimed, goodEntry, bad } = await claimPast({ userId: u, queueType: 'outstanding_requests' });
  expect(claimed.id).toBe(String(goodEntry));
  expect(bad).toMatchObject({ status: 'removed', closed_reason: 'no requirement pending' });
});

it('defers a claimant in cooldown until the cooldown ends (the entry stays)', async () => {
  const u = await s.claimant({ timezone: DAYTIME() });
  const until = new Date(Date.now() + 45 * 60_000);
  await server.db.sql(`UPDATE user_call_scores SET next_call_after = $2 WHERE user_id = $1`, [u, until]);
  const { claimed, goodEntry, bad } = await claimPast({ userId: u });
  expect(claimed.id).toBe(String(goodEntry));
  expect(bad.status).toBe('pending');
  expect(bad.available_from.getTime()).toBe(until.getTime());
});

it('defers a claimant over the daily attempt cap to tomorrow’s opening', async () => {
  const u = await s.claimant({ timezone: DAYTIME() });
  // Three attempts on the claimant's own calendar day (the cap counts local days).
  await server.db.sql(`UPDATE user_call_scores s SET attempts_today = 3, last_reset_date = (now() AT TIME ZONE c.timezone)::date
    FROM claimants c WHERE c.user_id = s.user_id AND s.user_id = $1`, [u]);
  const { claimed, goodEntry, bad } = await claimPast({ userId: u });
  expect(claimed.id).toBe(String(goodEntry));
  expect(bad.status).toBe('pending');
  const hoursAhead = (bad.available_from.getTime() - Date.now()) / 3_600_000;
  expect(hoursAhead).toBeGreaterThan(12);
  expect(hoursAhead).toBeLessThan(24);
});

it('does not count yesterday’s attempts against today’s cap', async () => {
  const u = await s.claimant({ timezone: DAYTIME() });
  // Yesterday in the claimant's own zone (the cap counts local days).
  await server.db.sql(`UPDATE user_call_scores s SET attempts_today = 3, last_reset_date = (now() AT TIME ZONE c.timezone)::date - 1
    FROM claimants c WHERE c.user_id = s.user_id AND s.user_id = $1`, [u]);
  const id = await s.entry({ userId: u, priorityScore: 9999 });
  const agent = await s.agent();
  expect((await server.admin.data(CLAIM, { a: String(agent), q: 'UNSIGNED_USERS' })).assignNextUser.id).toBe(String(id));
});

it('defers a claimant outside its calling window to the next 08:00 local (deferred, still there)', async () => {
  const u = await s.claimant({ timezone: NIGHT() });
  const { claimed, goodEntry, bad } = await claimPast({ userId: u });
  expect(claimed.id).toBe(String(goodEntry));
  expect(bad.status).toBe('pending');
  // 03:00 local → opens at 08:00 local, five hours later (within the minute).
  const hoursAhead = (bad.available_from.getTime() - Date.now()) / 3_600_000;
  expect(hoursAhead).toBeGreaterThan(4);
  expect(hoursAhead).toBeLessThanOrEqual(5);
});

it('skips, without changing it, a claimant who is on a call', async () => {
  const u = await s.claimant({ timezone: DAYTIME() });
  const busyAgent = await s.agent();
  await server.db.sql(`INSERT INTO call_sessions (user_id, agent_id) VALUES ($1, $2)`, [u, busyAgent]);
  const { claimed, goodEntry, bad } = await claimPast({ userId: u });
  expect(claimed.id).toBe(String(goodEntry));
  expect(bad.status).toBe('pending');
  expect(bad.available_from.getTime()).toBeLessThanOrEqual(Date.now());
  await server.db.sql(`UPDATE call_sessions SET status = 'completed', ended_at = now() WHERE user_id = $1`, [u]);
  await server.db.sql(`UPDATE unsigned_users_queue SET status = 'removed' WHERE user_id = $1 AND status = 'pending'`, [u]);
});

it('gives a callback with a preferred agent only to that agent until its grace period passes', async () => {
  const preferred = await s.agent();
  const other = await s.agent();
  const u = await s.claimant({ timezone: DAYTIME() });
  const callback = await s.callback(u, new Date(Date.now() - 60_000), preferred);
  const { claimed, bad } = await claimPast({ userId: u, callbackId: callback }, other);
  expect(claimed.userId).not.toBe(String(u));
  expect(bad.status).toBe('pending');
  const mine = await server.admin.data(CLAIM, { a: String(preferred), q: 'UNSIGNED_USERS' });
  expect(mine.assignNextUser.userId).toBe(String(u));
});

it('lets anyone take that callback once the grace period has passed', async () => {
  const preferred = await s.agent();
  const u = await s.claimant({ timezone: DAYTIME() });
  const callback = await s.callback(u, new Date(Date.now() - 20 * 60_000), preferred);
  const id = await s.entry({ userId: u, priorityScore: 9999, callbackId: callback });
  const other = await s.agent();
  expect((await server.admin.data(CLAIM, { a: String(other), q: 'UNSIGNED_USERS' })).assignNextUser.id).toBe(String(id));
});

it('returns null when nothing is eligible, after dropping what is invalid', async () => {
  const agent = await s.agent();
  await server.db.sql(`UPDATE unsigned_users_queue SET status = 'removed' WHERE status = 'pending' AND available_from <= now()`);
  const signed = await s.claimant({ timezone: DAYTIME(), signatureStatus: 'obtained' });
  await s.entry({ userId: signed, priorityScore: 10 });
  expect((await server.admin.data(CLAIM, { a: String(agent), q: 'UNSIGNED_USERS' })).assignNextUser).toBeNull();
  const [row] = await server.db.sql(`SELECT status FROM unsigned_users_queue WHERE user_id = $1`, [signed]);
  expect(row!.status).toBe('removed');
});
