import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { DAYTIME, NIGHT } from '../support/zones.js';

/**
 * eligibility(userId) runs the claim's own rule: for claimants set up every way the claim can
 * judge them, it names the reason, and a claim then does exactly what it said.
 */
let server: TestServer;
let s: ReturnType<typeof seed>;
let agent: number;
let other: number;

beforeAll(async () => {
  server = await startTestServer({ LINES_JOB_CRON: '', CALLBACK_JOB_CRON: '', LEASE_JOB_CRON: '' });
  s = seed(server.db);
  [agent, other] = [await s.agent(), await s.agent()];
});
afterAll(() => server.close());

type Setup = { name: string; expect: 'ASSIGN' | 'DEFER' | 'REMOVE'; reason: RegExp | null; make: (u: number, entry: number) => Promise<void>; queue?: 'outstanding_requests'; zone?: () => string };
const sqlOf = (text: string) => async (u: number) => { await server.db.sql(text, [u]); };

const SETUPS: Setup[] = [
  { name: 'callable', expect: 'ASSIGN', reason: null, make: async () => {} },
  { name: 'cooldown', expect: 'DEFER', reason: /^cooldown until /, make: sqlOf(`UPDATE user_call_scores SET next_call_after = now() + interval '2 hours' WHERE user_id = $1`) },
  { name: 'daily cap', expect: 'DEFER', reason: /^daily attempt cap reached until /,
    make: sqlOf(`UPDATE user_call_scores SET attempts_today = 3, last_reset_date = callqueue_local_day((SELECT timezone FROM claimants WHERE user_id = $1), now()) WHERE user_id = $1`) },
  { name: 'night', expect: 'DEFER', reason: /^outside the calling window until /, make: async () => {}, zone: NIGHT },
  { name: 'not yet available', expect: 'DEFER', reason: /^deferred until /, make: async (_u, e) => { await server.db.sql(`UPDATE unsigned_users_queue SET available_from = now() + interval '1 hour' WHERE id = $1`, [e]); } },
  { name: 'on a call', expect: 'DEFER', reason: /^on a call$/, make: async (u) => { await server.db.sql(`INSERT INTO call_sessions (user_id, agent_id, call_type, status) VALUES ($1, $2, 'direct', 'active')`, [u, other]); } },
  { name: 'callback reserved for another agent', expect: 'DEFER', reason: /^callback reserved for agent \d+ until /, make: async (u, e) => {
    const cb = await s.callback(u, new Date(Date.now() - 60_000), other);
    await server.db.sql(`UPDATE unsigned_users_queue SET callback_id = $2 WHERE id = $1`, [e, cb]);
  } },
  { name: 'do not call', expect: 'REMOVE', reason: /^do not call$/, make: sqlOf(`UPDATE claimants SET do_not_call = true WHERE user_id = $1`) },
  { name: 'converted', expect: 'REMOVE', reason: /^already converted$/, make: sqlOf(`UPDATE claimants SET converted_at = now() WHERE user_id = $1`) },
  { name: 'signed', expect: 'REMOVE', reason: /^signature already obtained$/, make: sqlOf(`UPDATE claimants SET signature_status = 'obtained' WHERE user_id = $1`) },
  { name: 'score inactive', expect: 'REMOVE', reason: /^score inactive$/, make: sqlOf(`UPDATE user_call_scores SET is_active = false WHERE user_id = $1`) },
];

async function onlyEntry(setup: Setup): Promise<{ user: number; entry: number }> {
  // Each case alone in the queue, at the top.
  await server.db.sql(`UPDATE unsigned_users_queue SET status = 'removed', closed_at = now(), assigned_to_agent_id = NULL WHERE status IN ('pending', 'assigned')`);
  const user = await s.claimant({ timezone: (setup.zone ?? DAYTIME)() });
  const entry = await s.entry({ userId: user, priorityScore: 9000 });
  await setup.make(user, entry);
  return { user, entry };
}

it.each(SETUPS.map((setup) => [setup.name, setup] as const))('%s: eligibility names it, and a claim does what it says', async (_name, setup) => {
  const { user, entry } = await onlyEntry(setup);
  const report = (await server.admin.data(`query($u: ID!) { eligibility(userId: $u) { verdict reasons availableAt entry { id } } }`, { u: String(user) })).eligibility;
  expect(report.verdict).toBe(setup.expect);
  if (setup.reason) expect(report.reasons).toEqual([expect.stringMatching(setup.reason)]);
  else expect(report.reasons).toEqual([]);
  expect(report.entry.id).toBe(String(entry));

  const claimed = (await server.admin.data(`mutation($a: ID!) { assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { id } }`, { a: String(agent) })).assignNextUser;
  const [after] = await server.db.sql(`SELECT status FROM unsigned_users_queue WHERE id = $1`, [entry]);
  if (setup.expect === 'ASSIGN') expect([claimed?.id, after!.status]).toEqual([String(entry), 'assigned']);
  if (setup.expect === 'DEFER') expect([claimed, after!.status]).toEqual([null, 'pending']);
  if (setup.expect === 'REMOVE') expect([claimed, after!.status]).toEqual([null, 'removed']);
});

it('a queue whose entries are all in a cooldown: none claimable, all counted under cooldown, the next time the earliest end', async () => {
  await server.db.sql(`UPDATE unsigned_users_queue SET status = 'removed', closed_at = now(), assigned_to_agent_id = NULL WHERE status IN ('pending', 'assigned')`);
  const ends: number[] = [];
  for (const minutes of [90, 30, 60]) {
    const user = await s.claimant({ timezone: DAYTIME() });
    await s.entry({ userId: user });
    const [row] = await server.db.sql(`UPDATE user_call_scores SET next_call_after = now() + make_interval(mins => $2) WHERE user_id = $1 RETURNING next_call_after`, [user, minutes]);
    ends.push(new Date(row!.next_call_after).getTime());
  }
  const d = (await server.admin.data(`{ queueDiagnostics(queueType: UNSIGNED_USERS) { pending claimableNow nextClaimableAt pendingButNoneClaimable
    notClaimable { reason count nextAvailableAt } stuck { lapsedLeases overlongSessions overdueCallbacks } } }`)).queueDiagnostics;
  expect(d).toMatchObject({ pending: 3, claimableNow: 0, pendingButNoneClaimable: true, notClaimable: [{ reason: 'cooldown', count: 3 }] });
  expect(Date.parse(d.nextClaimableAt)).toBe(Math.min(...ends));
  expect(Date.parse(d.notClaimable[0].nextAvailableAt)).toBe(Math.min(...ends));
});

it('a claimant in no queue is NOT_QUEUED with why; an unknown one is NOT_FOUND, a bad id BAD_USER_INPUT', async () => {
  const converted = await s.claimant();
  await server.db.sql(`UPDATE claimants SET converted_at = now() WHERE user_id = $1`, [converted]);
  const report = (await server.admin.data(`query($u: ID!) { eligibility(userId: $u) { verdict reasons entry { id } } }`, { u: String(converted) })).eligibility;
  expect(report).toEqual({ verdict: 'NOT_QUEUED', reasons: ['already converted'], entry: null });
  expect(await server.admin.errorCode(`{ eligibility(userId: "987654321") { verdict } }`)).toBe('NOT_FOUND');
  expect(await server.admin.errorCode(`{ eligibility(userId: "x") { verdict } }`)).toBe('BAD_USER_INPUT');
});

it('agrees with the claim over 30 generated claimants (facts combined at random, seeded)', async () => {
  let seedValue = 7;
  const random = () => ((seedValue = (seedValue * 16807) % 2147483647) / 2147483647);
  for (let i = 0; i < 30; i += 1) {
    const picked = SETUPS.slice(1).filter(() => random() < 0.25);
    const zone = picked.find((p) => p.zone)?.zone;
    const { user, entry } = await onlyEntry({ name: 'mix', expect: 'ASSIGN', reason: null, zone, make: async (u, e) => { for (const p of picked) await p.make(u, e); } });
    const report = (await server.admin.data(`query($u: ID!) { eligibility(userId: $u) { verdict reasons } }`, { u: String(user) })).eligibility;
    const claimed = (await server.admin.data(`mutation($a: ID!) { assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { id } }`, { a: String(agent) })).assignNextUser;
    const [after] = await server.db.sql(`SELECT status FROM unsigned_users_queue WHERE id = $1`, [entry]);
    const did = claimed?.id === String(entry) ? 'ASSIGN' : after!.status === 'removed' ? 'REMOVE' : 'DEFER';
    expect({ case: i, facts: picked.map((p) => p.name), said: report.verdict }).toEqual({ case: i, facts: picked.map((p) => p.name), said: did });
    // The active call a case started must not outlive it (one active session per claimant is fine; the lines are not).
    await server.db.sql(`UPDATE call_sessions SET status = 'completed', ended_at = now() WHERE status = 'active'`);
  }
});

it('shows stuck work in queueDiagnostics and /metrics: a lease past its end the job has not returned', async () => {
  await server.db.sql(`UPDATE unsigned_users_queue SET status = 'removed', closed_at = now(), assigned_to_agent_id = NULL WHERE status IN ('pending', 'assigned')`);
  const user = await s.claimant({ timezone: DAYTIME() });
  const entry = await s.entry({ userId: user, status: 'assigned', agentId: agent });
  await server.db.sql(`INSERT INTO assignment_leases (entry_id, agent_id, assigned_at, expires_at) VALUES ($1, $2, now() - interval '20 minutes', now() - interval '5 minutes')`, [entry, agent]);
  const d = (await server.admin.data(`{ queueDiagnostics(queueType: UNSIGNED_USERS) { assigned leases { running lapsed withoutLease } stuck { lapsedLeases } } }`)).queueDiagnostics;
  expect(d).toEqual({ assigned: 1, leases: { running: 0, lapsed: 1, withoutLease: 0 }, stuck: { lapsedLeases: 1 } });
  const metrics = await (await fetch(server.app.url.replace('/graphql', '/metrics'))).text();
  expect(metrics).toMatch(/callqueue_stuck_work\{kind="lapsed_leases"\} 1/);
  expect(metrics).toMatch(/callqueue_queue_pending\{queue="unsigned_users"\} 0/);
});
