import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { DAYTIME, zoneWhereLocalHourIs } from '../support/zones.js';

/**
 * One contact policy wherever a call starts: a claim, a campaign or direct call, and the time a
 * callback is promised for are all judged in the claimant's own zone, by the same rule.
 */
let server: TestServer;
let s: ReturnType<typeof seed>;
let agent: number;
let campaign: string;

beforeAll(async () => {
  server = await startTestServer({ LINES_JOB_CRON: '' });
  s = seed(server.db);
  agent = await s.agent();
  campaign = (await server.admin.data(`mutation { createCampaign(name: "renewals", queueType: UNSIGNED_USERS) { id } }`)).createCampaign.id;
});
afterAll(() => server.close());

const INITIATE = `mutation($i: InitiateCallInput!) { initiateCall(input: $i) { status session { id overrideReason } request { id } } }`;
const SCHEDULE = `mutation($i: CallbackInput!) { scheduleCallback(input: $i) { callback { id claimantRequested } } }`;
const EARLY = () => zoneWhereLocalHourIs(5);   // 05:00 where the claimant lives, whatever the hour here

/** What a refused call or callback must not have written. */
async function written(userId: number) {
  const [row] = await server.db.sql(`SELECT (SELECT count(*) FROM call_sessions WHERE user_id = $1)::int AS sessions,
      (SELECT count(*) FROM call_requests WHERE user_id = $1)::int AS requests,
      (SELECT count(*) FROM callbacks WHERE user_id = $1)::int AS callbacks,
      (SELECT count(*) FROM unsigned_users_queue WHERE user_id = $1)::int AS entries`, [userId]);
  return row;
}

it('refuses a campaign call at 05:00 the claimant\'s time, with the next opening, and writes nothing', async () => {
  const user = await s.claimant({ timezone: EARLY() });
  const response = await server.admin.request(INITIATE, { i: { userId: String(user), agentId: String(agent), callType: 'CAMPAIGN', campaignId: campaign } });
  const error = response.errors![0]!;
  expect(error.extensions).toMatchObject({ code: 'CONFLICT', reason: 'outside the calling window' });
  expect(error.message).toMatch(/campaign calls follow the contact policy/);
  // The next opening is 08:00 there: three hours from now, give or take the minutes past the hour.
  const wait = new Date(error.extensions!.availableAt as string).getTime() - Date.now();
  expect(wait).toBeGreaterThan(2 * 3_600_000);
  expect(wait).toBeLessThanOrEqual(3 * 3_600_000);
  expect(await written(user)).toEqual({ sessions: 0, requests: 0, callbacks: 0, entries: 0 });
  // An override is for direct calls only.
  const withOverride = await server.admin.errorCode(INITIATE, {
    i: { userId: String(user), agentId: String(agent), callType: 'CAMPAIGN', campaignId: campaign, overrideReason: 'asked' } });
  expect(withOverride).toBe('BAD_USER_INPUT');
});

it('refuses a direct call at 05:00 unless the agent overrides with a reason, which the session records', async () => {
  const user = await s.claimant({ timezone: EARLY() });
  const refused = await server.admin.request(INITIATE, { i: { userId: String(user), agentId: String(agent), callType: 'DIRECT' } });
  expect(refused.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', reason: 'outside the calling window' });
  expect(refused.errors![0]!.message).toMatch(/overrideReason/);
  expect(await written(user)).toEqual({ sessions: 0, requests: 0, callbacks: 0, entries: 0 });
  expect(await server.admin.errorCode(INITIATE, { i: { userId: String(user), agentId: String(agent), callType: 'DIRECT', overrideReason: '  ' } }))
    .toBe('BAD_USER_INPUT');

  const started = (await server.admin.data(INITIATE, {
    i: { userId: String(user), agentId: String(agent), callType: 'DIRECT', overrideReason: 'the claimant called in and asked for a call now' } })).initiateCall;
  expect(started.status).toBe('STARTED');
  expect(started.session.overrideReason).toBe('the claimant called in and asked for a call now');
  const [row] = await server.db.sql(`SELECT override_reason FROM call_sessions WHERE id = $1`, [started.session.id]);
  expect(row!.override_reason).toBe('the claimant called in and asked for a call now');
});

it('refuses a direct call in a cooldown, and lets one through in daytime', async () => {
  const cooling = await s.claimant({ timezone: DAYTIME() });
  await server.db.sql(`UPDATE user_call_scores SET next_call_after = now() + interval '90 minutes' WHERE user_id = $1`, [cooling]);
  const refused = await server.admin.request(INITIATE, { i: { userId: String(cooling), agentId: String(agent), callType: 'DIRECT' } });
  expect(refused.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', reason: 'cooldown' });
  const fine = await s.claimant({ timezone: DAYTIME() });
  const agent2 = await s.agent();
  expect((await server.admin.data(INITIATE, { i: { userId: String(fine), agentId: String(agent2), callType: 'DIRECT' } })).initiateCall.status).toBe('STARTED');
});

it('refuses a callback promised for 06:00 the claimant\'s time with the earliest allowed time, unless the claimant asked for it', async () => {
  const user = await s.claimant({ timezone: EARLY() });
  const at = new Date(Date.now() + 3_600_000).toISOString();   // 06:00 there
  const refused = await server.admin.request(SCHEDULE, { i: { userId: String(user), scheduledFor: at, reason: 'follow up' } });
  expect(refused.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'scheduledFor', reason: 'outside the calling window' });
  expect(new Date(refused.errors![0]!.extensions!.earliestAllowed as string).getTime()).toBeGreaterThan(Date.parse(at));
  expect(await written(user)).toEqual({ sessions: 0, requests: 0, callbacks: 0, entries: 0 });

  const accepted = (await server.admin.data(SCHEDULE, { i: { userId: String(user), scheduledFor: at, reason: 'asked for 6 am', claimantRequested: true } })).scheduleCallback;
  expect(accepted.callback.claimantRequested).toBe(true);
  const [row] = await server.db.sql(`SELECT claimant_requested FROM callbacks WHERE id = $1`, [accepted.callback.id]);
  expect(row!.claimant_requested).toBe(true);
});

it('claims a due callback the claimant asked for at night, and defers one they did not', async () => {
  const claim = (a: number) => server.admin.data(`mutation($a: ID!) { assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { userId } }`, { a: String(a) });
  const dueAtNight = async (claimantRequested: boolean) => {
    const user = await s.claimant({ timezone: EARLY() });
    const [cb] = await server.db.sql(`INSERT INTO callbacks (user_id, scheduled_for, reason, queue_type, claimant_requested)
      VALUES ($1, now() - interval '1 minute', 'asked', 'unsigned_users', $2) RETURNING id`, [user, claimantRequested]);
    await s.entry({ userId: user, priorityScore: 9999, callbackId: cb!.id });
    return user;
  };
  const asked = await dueAtNight(true);
  expect((await claim(await s.agent())).assignNextUser?.userId).toBe(String(asked));
  const notAsked = await dueAtNight(false);
  expect((await claim(await s.agent())).assignNextUser).toBeNull();
  const [entry] = await server.db.sql(`SELECT status, available_from > now() AS deferred FROM unsigned_users_queue WHERE user_id = $1`, [notAsked]);
  expect(entry).toEqual({ status: 'pending', deferred: true });
});

it('judges a queued request again when a line frees: past the calling window it is cancelled with the reason, an override still starts', async () => {
  const [{ max_lines: limit }] = await server.db.sql(`SELECT max_lines FROM call_lines`) as [{ max_lines: number }];
  const active = await server.db.sql(`SELECT count(*)::int AS n FROM call_sessions WHERE status = 'active'`);
  // Every line busy but one, which a call of ours takes: the next calls queue.
  await server.db.sql(`UPDATE call_lines SET max_lines = $1`, [active[0]!.n + 1]);
  try {
    const call = async (callType: 'DIRECT' | 'CAMPAIGN', extra: Record<string, string> = {}) => {
      const user = await s.claimant({ timezone: DAYTIME() });
      const result = (await server.admin.data(`mutation($i: InitiateCallInput!) { initiateCall(input: $i) { status session { id } request { id } } }`, {
        i: { userId: String(user), agentId: String(await s.agent()), callType, ...(callType === 'CAMPAIGN' ? { campaignId: campaign } : {}), ...extra } })).initiateCall;
      return { user, result };
    };
    const first = await call('DIRECT');
    expect(first.result.status).toBe('STARTED');
    const plain = await call('DIRECT');
    const overridden = await call('DIRECT', { overrideReason: 'the claimant asked to be called back at once' });
    const byCampaign = await call('CAMPAIGN');
    for (const q of [plain, overridden, byCampaign]) expect(q.result.status).toBe('QUEUED');
    // While they wait, the calling window closes where the claimants live.
    await server.db.sql(`UPDATE claimants SET timezone = $2 WHERE user_id = ANY($1::bigint[])`,
      [[plain.user, overridden.user, byCampaign.user], EARLY()]);

    await server.admin.data(`mutation($s: ID!) { endCall(sessionId: $s, outcome: NO_ANSWER) { id } }`, { s: first.result.session.id });
    const request = (id: string) => server.admin.data(`query($r: ID!) { callRequest(id: $r) { status closedReason session { overrideReason } } }`, { r: id });
    expect((await request(plain.result.request.id)).callRequest).toEqual({
      status: 'CANCELLED', session: null,
      closedReason: expect.stringMatching(/^contact policy: outside the calling window when a line freed; allowed from \d{4}-/),
    });
    expect((await request(overridden.result.request.id)).callRequest).toEqual({
      status: 'DISPATCHED', closedReason: null, session: { overrideReason: 'the claimant asked to be called back at once' },
    });
    // The campaign request waits behind the override's session; when it ends, the campaign call is judged and cancelled.
    const overriddenSession = await server.db.sql(`SELECT call_session_id FROM call_requests WHERE id = $1`, [overridden.result.request.id]);
    await server.admin.data(`mutation($s: ID!) { endCall(sessionId: $s, outcome: ANSWERED) { id } }`, { s: String(overriddenSession[0]!.call_session_id) });
    expect((await request(byCampaign.result.request.id)).callRequest).toMatchObject({ status: 'CANCELLED', session: null });
    expect(await server.db.sql(`SELECT count(*)::int AS n FROM call_sessions WHERE user_id = ANY($1::bigint[])`, [[plain.user, byCampaign.user]]))
      .toEqual([{ n: 0 }]);
  } finally {
    await server.db.sql(`UPDATE call_lines SET max_lines = $1`, [limit]);
  }
});
