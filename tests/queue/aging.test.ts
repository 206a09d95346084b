import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { DAYTIME } from '../support/zones.js';

/**
 * Priorities follow the policy evaluated now, not only when something writes the claimant:
 * the priority refresh (here every second) re-ages live entries, and scoreBreakdown explains
 * exactly the priority that orders each entry.
 */
let server: TestServer;
let s: ReturnType<typeof seed>;

beforeAll(async () => {
  server = await startTestServer({ PRIORITY_REFRESH_CRON: '* * * * * *' });
  s = seed(server.db);
});
afterAll(() => server.close());

const ENTRY = `query($u: ID!) { userQueueEntry(userId: $u) { id userId priorityScore
  ... on OutstandingRequestEntry { escalationLevel } ... on UnsignedUserEntry { urgentSignature } }
  scoreBreakdown(userId: $u) { total computedAt components { name points } } callScore(userId: $u) { currentScore } }`;

async function entryOf(userId: number) {
  return server.admin.data(ENTRY, { u: String(userId) });
}

/** Polls until `check` holds: the refresh runs every second, the bound is a few ticks. */
async function within<T>(ms: number, read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** An outstanding claimant with one pending document due in `deadlineDays`, whose entry was written `ageHours` ago. */
async function staleOutstanding(deadlineDays: number | null, ageHours: number, staleScore: number): Promise<number> {
  const userId = await s.claimant({ timezone: DAYTIME(), signatureStatus: 'obtained' });
  await server.db.sql(`INSERT INTO claim_requirements (user_id, claim_id, requirement_type, deadline)
    SELECT user_id, claim_id, 'police_report', now() + make_interval(secs => $2::float8 * 86400) FROM claimants WHERE user_id = $1`,
  [userId, deadlineDays ?? 365]);
  await server.db.sql(`INSERT INTO outstanding_requests_queue (user_id, claim_id, priority_score, available_from, enqueued_at,
      requirement_types, total_requirements, pending_requirements, escalation_level, document_deadline)
    SELECT c.user_id, c.claim_id, $2, now() - interval '1 minute', now() - make_interval(hours => $3), '{police_report}', 1, 1, 0,
           CASE WHEN $4 THEN r.deadline END
      FROM claimants c JOIN claim_requirements r USING (user_id) WHERE c.user_id = $1`,
  [userId, staleScore, ageHours, deadlineDays !== null]);
  return userId;
}

it('re-ages an entry nobody touched: its nearing deadline raises escalation and priority, and it is claimed first', async () => {
  const urgent = await staleOutstanding(1, 24 * 7, 1200);       // written a week ago: escalation 0, the old score
  const rival = await staleOutstanding(null, 100, 3500);        // 100 h waiting, no deadline: 3,500 by the policy
  const after = await within(5000, () => entryOf(urgent), (d) => d.userQueueEntry.escalationLevel === 2);
  expect(after.userQueueEntry.escalationLevel).toBe(2);
  // 1,000 + 4,000 (168 h, capped) + 1,600 (escalation 2) + ~1,714 (deadline in 1 day of 7)
  expect(after.userQueueEntry.priorityScore).toBeGreaterThan(8200);
  expect(after.userQueueEntry.priorityScore).toBe(after.scoreBreakdown.total);
  expect(after.callScore.currentScore).toBe(after.userQueueEntry.priorityScore);
  // A refresh whose transaction began just before the rival was written ages it as of that
  // instant (99.99 h: 3,475); the next one, a second later, gives 3,500.
  expect((await within(3000, () => entryOf(rival), (d) => d.userQueueEntry.priorityScore === 3500)).userQueueEntry.priorityScore).toBe(3500);

  const agent = await s.agent();
  const claimed = await server.admin.data(`mutation($a: ID!) { assignNextUser(agentId: $a, queueType: OUTSTANDING_REQUESTS) { userId } }`,
    { a: String(agent) });
  expect(claimed.assignNextUser.userId).toBe(String(urgent));
});

it('orders by waiting: the claimant enqueued earlier comes first, by 25 points an hour, and both move as time passes', async () => {
  const make = async (hoursAgo: number) => {
    const userId = await s.claimant({ timezone: DAYTIME() });
    // The signature went missing just now, so the wait is the entry's own.
    await server.db.sql(`UPDATE claimants SET signature_missing_since = now() WHERE user_id = $1`, [userId]);
    await server.db.sql(`INSERT INTO unsigned_users_queue (user_id, claim_id, priority_score, available_from, enqueued_at)
      SELECT user_id, claim_id, 1000, now() - interval '1 minute', now() - make_interval(hours => $2) FROM claimants WHERE user_id = $1`,
    [userId, hoursAgo]);
    return userId;
  };
  const early = await make(5);
  const late = await make(2);
  const score = async (u: number) => (await entryOf(u)).userQueueEntry.priorityScore as number;
  await within(5000, () => score(late), (v) => v === 1050);
  expect([await score(early), await score(late)]).toEqual([1125, 1050]);

  // Two more hours pass for both (their entries are moved back in time): both gain 50, the lead stays 75.
  await server.db.sql(`UPDATE unsigned_users_queue SET enqueued_at = enqueued_at - interval '2 hours' WHERE user_id = ANY($1::bigint[])`, [[early, late]]);
  await within(5000, () => score(late), (v) => v === 1100);
  expect([await score(early), await score(late)]).toEqual([1175, 1100]);
});

it('explains every live entry exactly: priorityScore is the breakdown total, callbacks and fixed priorities included', async () => {
  const withCallback = await s.claimant({ timezone: DAYTIME() });
  await server.admin.data(`mutation($u: ID!, $t: DateTime!) { scheduleCallback(input: { userId: $u, scheduledFor: $t, reason: "asked" }) { callback { id } } }`,
    { u: String(withCallback), t: new Date(Date.now() + 3_600_000).toISOString() });
  const fixed = await s.claimant({ timezone: DAYTIME() });
  await server.admin.data(`mutation($u: ID!) { enqueueUser(input: { userId: $u, queueType: UNSIGNED_USERS, priorityScore: 4321 }) { id } }`,
    { u: String(fixed) });
  const plain = await s.claimant({ timezone: DAYTIME() });
  await server.admin.data(`mutation($u: ID!) { enqueueUser(input: { userId: $u, queueType: UNSIGNED_USERS }) { id } }`, { u: String(plain) });
  await new Promise((resolve) => setTimeout(resolve, 2500));  // two refresh ticks

  const page = await server.admin.data(`{ queues { entries(first: 500) { nodes { userId priorityScore } } } }`);
  const nodes = page.queues.flatMap((q: any) => q.entries.nodes);
  expect(nodes.length).toBeGreaterThanOrEqual(6);
  for (const node of nodes) {
    const { scoreBreakdown } = await server.admin.data(`query($u: ID!) { scoreBreakdown(userId: $u) { total } }`, { u: node.userId });
    expect({ userId: node.userId, total: scoreBreakdown.total }).toEqual({ userId: node.userId, total: node.priorityScore });
  }
  const callback = await entryOf(withCallback);
  expect(callback.userQueueEntry.priorityScore).toBe(9999);
  expect(callback.scoreBreakdown.components.map((c: any) => c.name)).toContain('callback');
  const pinned = await entryOf(fixed);
  expect(pinned.userQueueEntry.priorityScore).toBe(4321);
  expect(pinned.scoreBreakdown.components.at(-1).name).toBe('fixed');
});
