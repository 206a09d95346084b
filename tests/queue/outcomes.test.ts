import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { DAYTIME } from '../support/zones.js';

let server: TestServer;
let s: ReturnType<typeof seed>;
let agent: number;
let agentKey: string;

beforeAll(async () => {
  server = await startTestServer({ DAILY_ATTEMPT_CAP: '2', OUTCOME_COOLDOWNS: 'busy=5' });
  s = seed(server.db);
  agent = await s.agent();
  agentKey = (await server.admin.data(`mutation($a: ID) { createApiKey(role: AGENT, agentId: $a) { key } }`, { a: String(agent) })).createApiKey.key;
});
afterAll(() => server.close());

const OUTCOME = `mutation($i: CallOutcomeInput!) { recordCallOutcome(input: $i) {
  entry { id status closedReason availableFrom } score { totalAttempts attemptsToday lastOutcome isActive } conversion { conversionType primaryAgent { id } } } }`;

async function assignedEntry(): Promise<{ userId: number; entryId: number }> {
  const userId = await s.claimant({ timezone: DAYTIME() });
  const entryId = await s.entry({ userId, status: 'assigned', agentId: agent });
  return { userId, entryId };
}

it('REFUSED sets do-not-call, deactivates the score and completes the entry', async () => {
  const { userId, entryId } = await assignedEntry();
  const r = (await server.client(agentKey).data(OUTCOME, { i: { entryId: String(entryId), outcome: 'REFUSED' } })).recordCallOutcome;
  expect(r.entry).toMatchObject({ status: 'COMPLETED', closedReason: 'refused' });
  expect(r.score).toMatchObject({ lastOutcome: 'refused', isActive: false });
  expect((await server.db.sql(`SELECT do_not_call FROM claimants WHERE user_id = $1`, [userId]))[0]!.do_not_call).toBe(true);
});

it('doNotCall on any outcome does the same', async () => {
  const { userId, entryId } = await assignedEntry();
  await server.client(agentKey).data(OUTCOME, { i: { entryId: String(entryId), outcome: 'ANSWERED', doNotCall: true } });
  expect((await server.db.sql(`SELECT do_not_call FROM claimants WHERE user_id = $1`, [userId]))[0]!.do_not_call).toBe(true);
});

it('CONVERTED records a conversion with the calling agent as primary', async () => {
  const { entryId } = await assignedEntry();
  const r = (await server.client(agentKey).data(OUTCOME, { i: { entryId: String(entryId), outcome: 'CONVERTED' } })).recordCallOutcome;
  expect(r.entry).toMatchObject({ status: 'REMOVED', closedReason: 'converted' });
  expect(r.conversion).toEqual({ conversionType: 'call', primaryAgent: { id: String(agent) } });
});

it('a retry outcome releases the entry after its configured cooldown; the daily cap pushes it to tomorrow', async () => {
  const { entryId } = await assignedEntry();
  const first = (await server.client(agentKey).data(OUTCOME, { i: { entryId: String(entryId), outcome: 'BUSY' } })).recordCallOutcome;
  expect(first.entry.status).toBe('PENDING');
  const minutes = (Date.parse(first.entry.availableFrom) - Date.now()) / 60_000;
  expect(minutes).toBeGreaterThan(4);
  expect(minutes).toBeLessThanOrEqual(5);
  await server.db.sql(`UPDATE unsigned_users_queue SET status = 'assigned', assigned_to_agent_id = $2, assigned_at = now() WHERE id = $1`, [entryId, agent]);
  const second = (await server.client(agentKey).data(OUTCOME, { i: { entryId: String(entryId), outcome: 'BUSY' } })).recordCallOutcome;
  expect(second.score).toMatchObject({ totalAttempts: 2, attemptsToday: 2 });
  expect((Date.parse(second.entry.availableFrom) - Date.now()) / 3_600_000).toBeGreaterThan(10);
});

it.each(['ANSWERED', 'WRONG_NUMBER', 'CALLBACK_REQUESTED'])('%s completes the entry', async (outcome) => {
  const { entryId } = await assignedEntry();
  const r = (await server.client(agentKey).data(OUTCOME, { i: { entryId: String(entryId), outcome } })).recordCallOutcome;
  expect(r.entry).toMatchObject({ status: 'COMPLETED', closedReason: outcome.toLowerCase() });
});

it('an agent releases its own entry back to pending', async () => {
  const { entryId } = await assignedEntry();
  const r = (await server.client(agentKey).data(`mutation($e: ID!) { releaseEntry(entryId: $e, reason: "wrong queue") { status assignedAgent { id } } }`, { e: String(entryId) })).releaseEntry;
  expect(r).toEqual({ status: 'PENDING', assignedAgent: null });
});
