import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** repopulateQueues: the top N by the score policy now, valid by the live facts, atomically per queue. */
let server: TestServer;
const TOP_N = 5;

beforeAll(async () => {
  server = await startTestServer({ QUEUE_TOP_N: String(TOP_N) });
});
afterAll(() => server.close());

const RUN = `id trigger status added removed kept error
  queues { queueType added removed kept reprioritised durationMs error sample { entering leaving reprioritised { userId from to } } }`;

async function live(table: string) {
  return server.db.sql(`SELECT id, user_id, status, priority_score, enqueued_at, assigned_to_agent_id, callback_id
    FROM ${table} WHERE status IN ('pending', 'assigned') ORDER BY user_id`);
}

it('rebuilds each queue from the scores: top N valid claimants, assigned and callback entries kept, stayers keep id and enqueuedAt', async () => {
  const s = seed(server.db);
  const agent = await s.agent();
  // Valid unsigned claimants, 3 days waiting, 8..0 attempts: the policy scores them 1,600..2,800
  // (1,000 + 72 h × 25 − 150 per attempt); the top 5 are users[4..8]. The stored scores say the
  // opposite order: the rebuild ranks by the policy now, not by what was stored.
  const users: number[] = [];
  for (let i = 1; i <= 9; i += 1) users.push(await s.claimant({ attempts: 9 - i, score: 1000 - i * 100 }));
  // Invalid ones, with the highest policy scores (urgent signatures): do-not-call, converted, inactive score, signed.
  const dnc = await s.claimant({ missingDays: 20, doNotCall: true });
  const converted = await s.claimant({ missingDays: 20 });
  await server.db.sql(`UPDATE claimants SET converted_at = now() WHERE user_id = $1`, [converted]);
  const inactive = await s.claimant({ missingDays: 20 });
  await server.db.sql(`UPDATE user_call_scores SET is_active = false WHERE user_id = $1`, [inactive]);
  const signed = await s.claimant({ score: 9003, signatureStatus: 'obtained', queueType: 'unsigned_users' });
  // Outstanding: two with a pending requirement, one with none (invalid).
  const owing = [await s.claimant({ signatureStatus: 'obtained', score: 300 }), await s.claimant({ signatureStatus: 'obtained', score: 200 })];
  for (const u of owing) await s.requirement(u);
  const owesNothing = await s.claimant({ signatureStatus: 'obtained', score: 999 });

  // Before: a stayer (2,800 by the policy, 1 as written) with an old entry, a low scorer pending (leaves), a low scorer
  // assigned (kept), a low scorer with a callback (kept), a do-not-call claimant pending (leaves).
  const stayer = await s.entry({ userId: users[8]!, priorityScore: 1 });
  await server.db.sql(`UPDATE unsigned_users_queue SET enqueued_at = now() - interval '3 days' WHERE id = $1`, [stayer]);
  const leaver = await s.entry({ userId: users[0]! });
  const assigned = await s.entry({ userId: users[1]!, status: 'assigned', agentId: agent });
  const callback = await s.callback(users[2]!, new Date(Date.now() + 3_600_000));
  const withCallback = await s.entry({ userId: users[2]!, priorityScore: 9999, callbackId: callback });
  await s.entry({ userId: dnc });
  const [before] = await server.db.sql(`SELECT enqueued_at FROM unsigned_users_queue WHERE id = $1`, [stayer]);

  const run = (await server.admin.data(`mutation { repopulateQueues { ${RUN} } }`)).repopulateQueues;
  expect(run).toMatchObject({ trigger: 'MANUAL', status: 'SUCCEEDED', error: null });
  const unsigned = run.queues.find((q: any) => q.queueType === 'UNSIGNED_USERS');
  expect(unsigned).toMatchObject({ added: 4, removed: 2, kept: 3, reprioritised: 1, error: null, sample: null });
  expect(run.queues.find((q: any) => q.queueType === 'OUTSTANDING_REQUESTS')).toMatchObject({ added: 2, removed: 0, kept: 0 });

  const after = await live('unsigned_users_queue');
  expect(after.map((r) => Number(r.user_id)).sort((a, b) => a - b)).toEqual([users[1], users[2], ...users.slice(4)].sort((a, b) => a! - b!));
  const stayed = after.find((r) => Number(r.user_id) === users[8]);
  expect(stayed).toMatchObject({ id: stayer, priority_score: 2800 });
  expect(stayed!.enqueued_at).toEqual(before!.enqueued_at);
  // Every entry the rebuild scored is the policy's figure, and its score row says the same.
  const scored = await server.db.sql(`SELECT e.user_id, e.priority_score, s.current_score FROM unsigned_users_queue e
    JOIN user_call_scores s USING (user_id) WHERE e.status = 'pending' AND e.callback_id IS NULL ORDER BY e.user_id`);
  expect(scored.map((r) => [Number(r.user_id), r.priority_score, r.current_score]))
    .toEqual(users.slice(4).map((u, i) => [u, 2200 + i * 150, 2200 + i * 150]));
  for (const row of scored) {
    const { scoreBreakdown } = await server.admin.data(`query($u: ID!) { scoreBreakdown(userId: $u) { total } }`, { u: String(row.user_id) });
    expect(scoreBreakdown.total).toBe(row.priority_score);
  }
  expect(after.find((r) => Number(r.id) === assigned)).toMatchObject({ status: 'assigned', assigned_to_agent_id: agent });
  expect(after.find((r) => Number(r.id) === withCallback)).toMatchObject({ priority_score: 9999, callback_id: callback });
  for (const u of [dnc, converted, inactive, signed]) expect(after.some((r) => Number(r.user_id) === u)).toBe(false);
  const [gone] = await server.db.sql(`SELECT status, closed_reason FROM unsigned_users_queue WHERE id = $1`, [leaver]);
  expect(gone).toMatchObject({ status: 'removed', closed_reason: expect.stringMatching(/^repopulation/) });
  const outstanding = await live('outstanding_requests_queue');
  expect(outstanding.map((r) => Number(r.user_id)).sort()).toEqual([...owing].sort());
  expect(outstanding.some((r) => Number(r.user_id) === owesNothing)).toBe(false);

  // Every move is in queue_transitions; the run is recorded and listed.
  const [moves] = await server.db.sql(`SELECT count(*)::int AS n FROM queue_transitions WHERE reason = 'repopulation'`);
  expect(moves!.n).toBe(4 + 2 + 2);
  const runs = (await server.admin.data(`{ populationRuns(last: 1) { id status added removed kept queues { queueType kept } } }`)).populationRuns;
  expect(runs).toEqual([expect.objectContaining({ id: run.id, status: 'SUCCEEDED', added: 6, removed: 2, kept: 3 })]);

  // A second run with nothing changed is a no-op.
  const again = (await server.admin.data(`mutation { repopulateQueues { ${RUN} } }`)).repopulateQueues;
  expect(again.queues.map((q: any) => [q.added, q.removed, q.reprioritised])).toEqual([[0, 0, 0], [0, 0, 0]]);
});

it('an entry written by enqueueUser comes out of a rebuild unchanged (SQL and policy agree)', async () => {
  const s = seed(server.db);
  const unsigned = await s.claimant({ score: 8000 });
  await server.db.sql(`UPDATE claimants SET signature_missing_since = now() - interval '20 days' WHERE user_id = $1`, [unsigned]);
  const owing = await s.claimant({ signatureStatus: 'obtained', score: 8000 });
  await s.requirement(owing, 'medical_records');
  await s.requirement(owing, 'police_report');
  await server.db.sql(`UPDATE claim_requirements SET deadline = now() + interval '36 hours' WHERE user_id = $1 AND requirement_type = 'police_report'`, [owing]);
  for (const [u, q] of [[unsigned, 'UNSIGNED_USERS'], [owing, 'OUTSTANDING_REQUESTS']] as const) {
    await server.admin.data(`mutation($u: ID!) { enqueueUser(input: { userId: $u, queueType: ${q} }) { id } }`, { u: String(u) });
  }
  const snapshot = async () => [
    ...(await server.db.sql(`SELECT * FROM unsigned_users_queue WHERE user_id = $1`, [unsigned])),
    ...(await server.db.sql(`SELECT * FROM outstanding_requests_queue WHERE user_id = $1`, [owing])),
  ];
  const before = await snapshot();
  expect(before[0]).toMatchObject({ urgent_signature: true });
  expect(before[1]).toMatchObject({ escalation_level: 2, pending_requirements: 2, requirement_types: ['medical_records', 'police_report'] });
  await server.admin.data(`mutation { repopulateQueues { id } }`);
  expect(await snapshot()).toEqual(before);
});

it('the cut follows the deadlines as they are now, whatever the stored scores say', async () => {
  const s = seed(server.db);
  const owing = async (deadlineDays: number, storedScore: number) => {
    const u = await s.claimant({ signatureStatus: 'obtained', score: storedScore });
    await server.db.sql(`INSERT INTO claim_requirements (user_id, claim_id, requirement_type, deadline)
      SELECT user_id, claim_id, 'police_report', now() + make_interval(days => $2) FROM claimants WHERE user_id = $1`, [u, deadlineDays]);
    return u;
  };
  // Stored scores from a week ago: the far deadlines looked best then. Now the near ones are
  // due within 2 days: escalation 2 and most of the deadline points.
  const near = [await owing(1, 0), await owing(1, 0)];
  const far = [await owing(30, 9000), await owing(30, 9000)];
  const dry = (await server.admin.data(`mutation { repopulateQueues(dryRun: true) { ${RUN} } }`)).repopulateQueues;
  const preview = dry.queues.find((q: any) => q.queueType === 'OUTSTANDING_REQUESTS');
  expect(preview.sample.entering).toEqual(expect.arrayContaining(near.map(String)));
  for (const u of far) expect(preview.sample.entering).not.toContain(String(u));

  await server.admin.data(`mutation { repopulateQueues { id } }`);
  const rows = await server.db.sql(`SELECT user_id, escalation_level, priority_score FROM outstanding_requests_queue
    WHERE status = 'pending' AND user_id = ANY($1::bigint[])`, [[...near, ...far]]);
  expect(rows.map((r) => Number(r.user_id)).sort()).toEqual([...near].sort());
  for (const row of rows) {
    expect(row.escalation_level).toBe(2);
    const { scoreBreakdown, callScore } = await server.admin.data(`query($u: ID!) { scoreBreakdown(userId: $u) { total } callScore(userId: $u) { currentScore } }`,
      { u: String(row.user_id) });
    expect([scoreBreakdown.total, callScore.currentScore]).toEqual([row.priority_score, row.priority_score]);
  }
});

it('a dry run says who would enter, leave and move, records a dry-run row and changes nothing', async () => {
  const s = seed(server.db);
  const top = await s.claimant({ missingDays: 30 }); // urgent and waited the longest: first by the policy
  const [queueBefore, transitionsBefore] = [await live('unsigned_users_queue'), await server.db.sql(`SELECT count(*) FROM queue_transitions`)];
  const [lowest] = await server.db.sql(`SELECT user_id FROM unsigned_users_queue WHERE status = 'pending' AND callback_id IS NULL ORDER BY priority_score LIMIT 1`);
  const run = (await server.admin.data(`mutation { repopulateQueues(dryRun: true) { ${RUN} } }`)).repopulateQueues;
  expect(run).toMatchObject({ trigger: 'DRY_RUN', status: 'SUCCEEDED' });
  const unsigned = run.queues.find((q: any) => q.queueType === 'UNSIGNED_USERS');
  expect(unsigned.added).toBeGreaterThanOrEqual(1);
  expect(unsigned.sample.entering[0]).toBe(String(top));
  expect(unsigned.sample.leaving).toContain(String(lowest!.user_id));
  expect(await live('unsigned_users_queue')).toEqual(queueBefore);
  expect(await server.db.sql(`SELECT count(*) FROM queue_transitions`)).toEqual(transitionsBefore);
  const [row] = await server.db.sql(`SELECT trigger, status FROM queue_population_runs WHERE id = $1`, [run.id]);
  expect(row).toEqual({ trigger: 'dry_run', status: 'succeeded' });
});

describe('refusals change nothing', () => {
  it('a non-admin key is FORBIDDEN', async () => {
    const key = (await server.admin.data(`mutation { createApiKey(role: INTEGRATOR) { key } }`)).createApiKey.key;
    const [before] = await server.db.sql(`SELECT count(*)::int AS n FROM queue_population_runs`);
    expect(await server.client(key).errorCode(`mutation { repopulateQueues { id } }`)).toBe('FORBIDDEN');
    expect(await server.client(key).errorCode(`mutation { repopulateQueues(dryRun: true) { id } }`)).toBe('FORBIDDEN');
    expect(await server.db.sql(`SELECT count(*)::int AS n FROM queue_population_runs`)).toEqual([before]);
  });

  it('a manual run while another is running is a CONFLICT naming the running run', async () => {
    // What another instance mid-run holds: the lock, and its running row.
    const other = await server.db.connect();
    try {
      await other.query(`SELECT pg_advisory_lock(hashtext('callqueue.repopulation'))`);
      const [running] = (await other.query(`INSERT INTO queue_population_runs (trigger) VALUES ('manual') RETURNING id`)).rows;
      const result = await server.admin.request(`mutation { repopulateQueues { id } }`);
      expect(result.errors?.[0]).toMatchObject({
        message: expect.stringMatching(new RegExp(`already running \\(run ${running.id}`)),
        extensions: { code: 'CONFLICT', runId: String(running.id) },
      });
      const [rows] = await server.db.sql(`SELECT count(*)::int AS n FROM queue_population_runs WHERE status = 'running'`);
      expect(rows!.n).toBe(1);
    } finally {
      await other.end(); // the session ends: its lock goes with it, as with a crashed instance
    }
    // The next run takes over and marks the dead run failed.
    const run = (await server.admin.data(`mutation { repopulateQueues { id status } }`)).repopulateQueues;
    expect(run.status).toBe('SUCCEEDED');
    const [stale] = await server.db.sql(`SELECT count(*)::int AS n FROM queue_population_runs WHERE status = 'running'`);
    expect(stale!.n).toBe(0);
  });

  it('populationRuns(last) outside 1–100 is BAD_USER_INPUT', async () => {
    expect(await server.admin.errorCode(`{ populationRuns(last: 0) { id } }`)).toBe('BAD_USER_INPUT');
    expect(await server.admin.errorCode(`{ populationRuns(last: 101) { id } }`)).toBe('BAD_USER_INPUT');
  });
});
