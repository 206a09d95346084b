import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { DAYTIME } from '../support/zones.js';

/**
 * Every refusal of the queue mutations: the right code, a message saying what is allowed,
 * and nothing changed (entries, transitions, scores, conversions, sessions, claimants).
 */
let server: TestServer;
let s: ReturnType<typeof seed>;
let agent: number;
let otherAgent: number;
const keys: Record<string, string> = {};

async function fingerprint(): Promise<string> {
  const rows = await server.db.sql(`SELECT
    (SELECT json_agg(t ORDER BY id) FROM (SELECT id, status, priority_score, assigned_to_agent_id, available_from FROM unsigned_users_queue) t) AS u,
    (SELECT json_agg(t ORDER BY id) FROM (SELECT id, status, priority_score, assigned_to_agent_id, available_from FROM outstanding_requests_queue) t) AS o,
    (SELECT count(*) FROM queue_transitions) AS transitions, (SELECT count(*) FROM conversions) AS conversions,
    (SELECT count(*) FROM call_sessions) AS sessions, (SELECT json_agg(t ORDER BY user_id) FROM user_call_scores t) AS scores,
    (SELECT json_agg(t ORDER BY user_id) FROM claimants t) AS claimants, (SELECT json_agg(t ORDER BY id) FROM claim_requirements t) AS reqs`);
  return JSON.stringify(rows[0]);
}

beforeAll(async () => {
  server = await startTestServer();
  s = seed(server.db);
  agent = await s.agent();
  otherAgent = await s.agent();
  for (const [role, agentId] of [['VIEWER', null], ['INTEGRATOR', null], ['AGENT', agent]] as const) {
    keys[role] = (await server.admin.data(`mutation($r: Role!, $a: ID) { createApiKey(role: $r, agentId: $a) { key } }`,
      { r: role, a: agentId === null ? null : String(agentId) })).createApiKey.key;
  }
});
afterAll(() => server.close());

async function refused(key: string, query: string, variables: Record<string, unknown>, code: string, message?: RegExp) {
  const before = await fingerprint();
  const result = await server.client(key).request(query, variables);
  expect(result.errors?.[0]?.extensions?.code).toBe(code);
  if (message) expect(result.errors![0]!.message).toMatch(message);
  expect(await fingerprint()).toBe(before);
}

const ENQUEUE = `mutation($i: EnqueueInput!) { enqueueUser(input: $i) { id } }`;
const CLAIM = `mutation($a: ID!) { assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { id } }`;
const OUTCOME = `mutation($i: CallOutcomeInput!) { recordCallOutcome(input: $i) { entry { id } } }`;
const RELEASE = `mutation($e: ID!) { releaseEntry(entryId: $e) { id } }`;
const TRANSITION = `mutation($u: ID!, $t: QueueType!) { transitionUser(userId: $u, to: $t, reason: "because") { id } }`;
const CONVERT = `mutation($u: ID!, $v: Float) { convertUser(input: { userId: $u, claimValue: $v }) { id } }`;
const UPSERT = `mutation($i: ClaimantInput!) { upsertClaimant(input: $i) { userId } }`;
const REQUIREMENT = `mutation($i: RequirementInput!) { addRequirement(input: $i) { id } }`;
const RECEIVED = `mutation($r: ID!) { markRequirementReceived(requirementId: $r) { claimant { userId } } }`;
const SIGN = `mutation($u: ID!, $t: String) { recordSignature(userId: $u, signatureType: $t) { claimant { userId } } }`;
const REMOVE = `mutation($u: ID!, $r: String!) { removeFromQueue(userId: $u, reason: $r) { id } }`;

describe('roles', () => {
  it('a VIEWER may not write claimant facts or enqueue', async () => {
    const u = await s.claimant();
    await refused(keys.VIEWER!, ENQUEUE, { i: { userId: String(u), queueType: 'UNSIGNED_USERS' } }, 'FORBIDDEN', /INTEGRATOR/);
    await refused(keys.VIEWER!, UPSERT, { i: { userId: '77', claimId: 'x' } }, 'FORBIDDEN');
    await refused(keys.VIEWER!, SIGN, { u: String(u) }, 'FORBIDDEN');
  });

  it('an INTEGRATOR may not claim, record outcomes or convert', async () => {
    const u = await s.claimant();
    await refused(keys.INTEGRATOR!, CLAIM, { a: String(agent) }, 'FORBIDDEN', /AGENT/);
    await refused(keys.INTEGRATOR!, CONVERT, { u: String(u) }, 'FORBIDDEN');
    await refused(keys.INTEGRATOR!, OUTCOME, { i: { entryId: '1', outcome: 'ANSWERED' } }, 'FORBIDDEN');
  });

  it('an AGENT key may not claim for another agent', async () => {
    await refused(keys.AGENT!, CLAIM, { a: String(otherAgent) }, 'FORBIDDEN', new RegExp(`agent ${agent} only`));
  });

  it('an AGENT may not release or record on an entry assigned to another agent (CONFLICT)', async () => {
    const u = await s.claimant({ timezone: DAYTIME() });
    const entry = await s.entry({ userId: u, status: 'assigned', agentId: otherAgent });
    await refused(keys.AGENT!, RELEASE, { e: String(entry) }, 'CONFLICT', new RegExp(`assigned to agent ${otherAgent}, not to agent ${agent}`));
    await refused(keys.AGENT!, OUTCOME, { i: { entryId: String(entry), outcome: 'NO_ANSWER' } }, 'CONFLICT');
    await server.db.sql(`UPDATE unsigned_users_queue SET status = 'removed', assigned_to_agent_id = NULL WHERE id = $1`, [entry]);
  });
});

describe('unknown ids', () => {
  it.each([
    ['enqueueUser', ENQUEUE, { i: { userId: '99999999', queueType: 'UNSIGNED_USERS' } }],
    ['assignNextUser', CLAIM, { a: '99999' }],
    ['releaseEntry', RELEASE, { e: '99999999' }],
    ['recordCallOutcome', OUTCOME, { i: { entryId: '99999999', outcome: 'ANSWERED' } }],
    ['transitionUser', TRANSITION, { u: '99999999', t: 'UNSIGNED_USERS' }],
    ['convertUser', CONVERT, { u: '99999999' }],
    ['addRequirement', REQUIREMENT, { i: { userId: '99999999', requirementType: 'medical_records' } }],
    ['markRequirementReceived', RECEIVED, { r: '99999999' }],
    ['recordSignature', SIGN, { u: '99999999' }],
    ['removeFromQueue', REMOVE, { u: '99999999', r: 'gone' }],
  ])('%s → NOT_FOUND', async (_, query, variables) => {
    await refused('test-admin-key-0123456789abcdef', query, variables, 'NOT_FOUND', /does not exist|no live entry/);
  });
});

describe('out of range and malformed', () => {
  it.each([10000, -1])('enqueueUser with priorityScore %i → BAD_USER_INPUT', async (priorityScore) => {
    const u = await s.claimant();
    await refused(server.admin.key!, ENQUEUE, { i: { userId: String(u), queueType: 'UNSIGNED_USERS', priorityScore } }, 'BAD_USER_INPUT', /0 to 9999/);
  });

  it('bad claimant input → BAD_USER_INPUT', async () => {
    await refused(server.admin.key!, UPSERT, { i: { userId: '5001', claimId: 'c', timezone: 'Mars/Base' } }, 'BAD_USER_INPUT', /IANA time zone/);
    await refused(server.admin.key!, UPSERT, { i: { userId: '5001', claimId: 'c', phone: 'call me' } }, 'BAD_USER_INPUT', /phone/);
    await refused(server.admin.key!, UPSERT, { i: { userId: '-3', claimId: 'c' } }, 'BAD_USER_INPUT', /positive integer/);
    await refused(server.admin.key!, UPSERT, { i: { userId: '5001', claimId: '  ' } }, 'BAD_USER_INPUT', /claimId/);
  });

  it('bad requirement, signature type, amounts, reasons and notes → BAD_USER_INPUT', async () => {
    const u = await s.claimant();
    await refused(server.admin.key!, REQUIREMENT, { i: { userId: String(u), requirementType: 'Medical Records!' } }, 'BAD_USER_INPUT', /lower-case/);
    await refused(server.admin.key!, REQUIREMENT, { i: { userId: String(u), requirementType: 'photo_id', deadline: '2001-01-01T00:00:00Z' } }, 'BAD_USER_INPUT', /past/);
    await refused(server.admin.key!, SIGN, { u: String(u), t: 'scribble' }, 'BAD_USER_INPUT', /initial, update, renewal/);
    await refused(server.admin.key!, CONVERT, { u: String(u), v: -5 }, 'BAD_USER_INPUT', /claimValue/);
    await s.entry({ userId: u });
    await refused(server.admin.key!, REMOVE, { u: String(u), r: '   ' }, 'BAD_USER_INPUT', /reason/);
    const entry = await s.entry({ userId: await s.claimant(), status: 'assigned', agentId: agent });
    await refused(server.admin.key!, OUTCOME, { i: { entryId: String(entry), outcome: 'ANSWERED', notes: 'x'.repeat(2001) } }, 'BAD_USER_INPUT', /2,000/);
    await refused(server.admin.key!, OUTCOME, { i: { entryId: String(entry), outcome: 'HUNG_UP' } }, 'BAD_USER_INPUT');
  });
});

describe('conflicting state', () => {
  it('enqueueUser for a claimant in the other queue → CONFLICT (and a raw insert fails too)', async () => {
    const u = await s.claimant({ signatureStatus: 'obtained' });
    await s.requirement(u);
    await server.admin.data(ENQUEUE, { i: { userId: String(u), queueType: 'OUTSTANDING_REQUESTS' } });
    await server.db.sql(`UPDATE claimants SET signature_status = 'missing' WHERE user_id = $1`, [u]);
    await refused(server.admin.key!, ENQUEUE, { i: { userId: String(u), queueType: 'UNSIGNED_USERS' } }, 'CONFLICT', /live entry in outstanding_requests/);
    await expect(server.db.sql(`INSERT INTO unsigned_users_queue (user_id, claim_id, priority_score) VALUES ($1, 'c', 5)`, [u]))
      .rejects.toThrow(/already has a live entry/);
  });

  it('enqueueUser refuses a do-not-call claimant, a signed one in the unsigned queue, one owing nothing in the outstanding queue', async () => {
    const dnc = await s.claimant({ doNotCall: true });
    await refused(server.admin.key!, ENQUEUE, { i: { userId: String(dnc), queueType: 'UNSIGNED_USERS' } }, 'CONFLICT', /do-not-call/);
    const signed = await s.claimant({ signatureStatus: 'obtained' });
    await refused(server.admin.key!, ENQUEUE, { i: { userId: String(signed), queueType: 'UNSIGNED_USERS' } }, 'CONFLICT', /has signed/);
    await refused(server.admin.key!, ENQUEUE, { i: { userId: String(signed), queueType: 'OUTSTANDING_REQUESTS' } }, 'CONFLICT', /owes no document/);
  });

  it('releaseEntry and recordCallOutcome on an entry that is not assigned → CONFLICT', async () => {
    const entry = await s.entry({ userId: await s.claimant() });
    await refused(server.admin.key!, RELEASE, { e: String(entry) }, 'CONFLICT', /pending, not assigned/);
    await refused(server.admin.key!, OUTCOME, { i: { entryId: String(entry), outcome: 'NO_ANSWER' } }, 'CONFLICT', /not assigned/);
  });

  it('transitionUser to the queue the claimant is in → CONFLICT', async () => {
    const u = await s.claimant();
    await s.entry({ userId: u });
    await refused(server.admin.key!, TRANSITION, { u: String(u), t: 'UNSIGNED_USERS' }, 'CONFLICT', /already in unsigned_users/);
  });

  it('converting a converted claimant, or writing its facts → CONFLICT', async () => {
    const u = await s.claimant();
    const req = await s.requirement(u);
    await server.admin.data(CONVERT, { u: String(u) });
    await refused(server.admin.key!, CONVERT, { u: String(u) }, 'CONFLICT', /converted on/);
    await refused(server.admin.key!, SIGN, { u: String(u) }, 'CONFLICT', /converted/);
    await refused(server.admin.key!, RECEIVED, { r: String(req) }, 'CONFLICT', /converted/);
    await refused(server.admin.key!, REQUIREMENT, { i: { userId: String(u), requirementType: 'photo_id' } }, 'CONFLICT', /converted/);
    await refused(server.admin.key!, ENQUEUE, { i: { userId: String(u), queueType: 'UNSIGNED_USERS' } }, 'CONFLICT', /converted/);
  });

  it('a signature recorded twice, a requirement received twice, an inactive agent claiming → CONFLICT', async () => {
    const u = await s.claimant();
    const req = await s.requirement(u);
    await s.requirement(u, 'photo_id');
    await server.admin.data(SIGN, { u: String(u) });
    await refused(server.admin.key!, SIGN, { u: String(u) }, 'CONFLICT', /already recorded/);
    await server.admin.data(RECEIVED, { r: String(req) });
    await refused(server.admin.key!, RECEIVED, { r: String(req) }, 'CONFLICT', /already received/);
    const gone = await s.agent();
    await server.db.sql(`UPDATE agents SET is_active = false WHERE id = $1`, [gone]);
    await refused(server.admin.key!, CLAIM, { a: String(gone) }, 'CONFLICT', /not active/);
  });
});
