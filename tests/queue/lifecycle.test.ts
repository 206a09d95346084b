import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** The whole life of a claimant through the public API, and its history. */
let server: TestServer;
let agent: number;
let agentKey: string;

beforeAll(async () => {
  // The test runs at any hour: the calling window is the whole day here.
  server = await startTestServer({ CALLING_WINDOW_START: '00:00', CALLING_WINDOW_END: '23:59' });
  agent = await seed(server.db).agent('Lena');
  agentKey = (await server.admin.data(`mutation($a: ID) { createApiKey(role: AGENT, agentId: $a) { key } }`, { a: String(agent) })).createApiKey.key;
});
afterAll(() => server.close());

const ENTRY = `id queueType status priorityScore enqueuedAt assignedAgent { id }`;

it('unsigned → signature → outstanding → requirements one by one → conversion', async () => {
  const admin = server.admin;
  const userId = '424242';
  await admin.data(`mutation($i: ClaimantInput!) { upsertClaimant(input: $i) { userId signatureStatus } }`, {
    i: { userId, claimId: 'CLM-9', firstName: 'Ana', timezone: 'Europe/Madrid', phone: '+34 600 000 000' },
  });
  const reqs = [];
  for (const type of ['medical_records', 'police_report']) {
    reqs.push((await admin.data(`mutation($i: RequirementInput!) { addRequirement(input: $i) { id status } }`,
      { i: { userId, requirementType: type, deadline: new Date(Date.now() + 5 * 86_400_000).toISOString() } })).addRequirement.id);
  }
  const enqueued = (await admin.data(`mutation { enqueueUser(input: { userId: "${userId}", queueType: UNSIGNED_USERS }) { ${ENTRY} } }`)).enqueueUser;
  expect(enqueued).toMatchObject({ queueType: 'UNSIGNED_USERS', status: 'PENDING' });

  // The agent claims and calls; no answer puts the entry back after the cooldown.
  const agentClient = server.client(agentKey);
  const claimed = (await agentClient.data(`mutation($a: ID!) { assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { ${ENTRY} } }`, { a: String(agent) })).assignNextUser;
  expect(claimed).toMatchObject({ id: enqueued.id, status: 'ASSIGNED', assignedAgent: { id: String(agent) } });
  const outcome = (await agentClient.data(`mutation($i: CallOutcomeInput!) { recordCallOutcome(input: $i) {
      entry { status availableFrom priorityScore } score { totalAttempts attemptsToday lastOutcome nextCallAfter } } }`,
    { i: { entryId: claimed.id, outcome: 'NO_ANSWER' } })).recordCallOutcome;
  expect(outcome.entry.status).toBe('PENDING');
  expect(outcome.score).toMatchObject({ totalAttempts: 1, attemptsToday: 1, lastOutcome: 'no_answer' });
  expect(Date.parse(outcome.entry.availableFrom)).toBeGreaterThan(Date.now() + 100 * 60_000);
  expect(outcome.entry.priorityScore).toBeLessThan(enqueued.priorityScore);

  // The signature arrives: documents are pending, so the claimant moves queues, keeping enqueuedAt.
  const signed = (await admin.data(`mutation { recordSignature(userId: "${userId}", signatureType: "initial") {
      claimant { signatureStatus } entry { ${ENTRY} ... on OutstandingRequestEntry { pendingRequirements totalRequirements requirementTypes escalationLevel } } conversion { id } } }`)).recordSignature;
  expect(signed.claimant.signatureStatus).toBe('OBTAINED');
  expect(signed.conversion).toBeNull();
  expect(signed.entry).toMatchObject({
    queueType: 'OUTSTANDING_REQUESTS', status: 'PENDING', enqueuedAt: enqueued.enqueuedAt,
    pendingRequirements: 2, totalRequirements: 2, requirementTypes: ['medical_records', 'police_report'], escalationLevel: 1,
  });

  const first = (await admin.data(`mutation { markRequirementReceived(requirementId: "${reqs[0]}") {
      entry { ... on OutstandingRequestEntry { pendingRequirements requirementTypes } } conversion { id } } }`)).markRequirementReceived;
  expect(first).toEqual({ entry: { pendingRequirements: 1, requirementTypes: ['police_report'] }, conversion: null });

  const last = (await admin.data(`mutation { markRequirementReceived(requirementId: "${reqs[1]}") {
      claimant { convertedAt queueEntry { id } } entry { id } conversion { userId previousQueueType conversionType totalCallAttempts
      finalScore signatureObtained documentsReceived requirementsMet primaryAgent { id } contributingAgentIds } } }`)).markRequirementReceived;
  expect(last.entry).toBeNull();
  expect(last.claimant.queueEntry).toBeNull();
  expect(last.claimant.convertedAt).not.toBeNull();
  expect(last.conversion).toMatchObject({
    userId, previousQueueType: 'OUTSTANDING_REQUESTS', conversionType: 'signature_and_documents', totalCallAttempts: 1,
    signatureObtained: true, documentsReceived: ['medical_records', 'police_report'], requirementsMet: ['medical_records', 'police_report'],
    primaryAgent: { id: String(agent) }, contributingAgentIds: [String(agent)],
  });
  expect(last.conversion.finalScore).toBeGreaterThan(0);

  const score = (await admin.data(`{ callScore(userId: "${userId}") { isActive } }`)).callScore;
  expect(score.isActive).toBe(false);
  const history = await server.db.sql(`SELECT from_queue, to_queue, reason FROM queue_transitions WHERE user_id = $1 ORDER BY id`, [userId]);
  expect(history).toEqual([
    { from_queue: null, to_queue: 'unsigned_users', reason: 'enqueued' },
    { from_queue: 'unsigned_users', to_queue: 'outstanding_requests', reason: 'signature obtained' },
    { from_queue: 'outstanding_requests', to_queue: null, reason: 'converted (signature_and_documents): last requirement received' },
  ]);
  const stats = (await admin.data(`{ conversionStats { total averageCallAttempts byPreviousQueue { queueType count } byPrimaryAgent { agent { name } count } } }`)).conversionStats;
  expect(stats).toMatchObject({ total: 1, averageCallAttempts: 1, byPreviousQueue: [{ queueType: 'OUTSTANDING_REQUESTS', count: 1 }], byPrimaryAgent: [{ agent: { name: 'Lena' }, count: 1 }] });
});

it('a signature with nothing pending converts at once; scoreBreakdown explains a score', async () => {
  const s = seed(server.db);
  const u = await s.claimant();
  await server.admin.data(`mutation { enqueueUser(input: { userId: "${u}", queueType: UNSIGNED_USERS }) { id } }`);
  const breakdown = (await server.admin.data(`{ scoreBreakdown(userId: "${u}") { queueType total storedScore components { name points detail } } }`)).scoreBreakdown;
  expect(breakdown.queueType).toBe('UNSIGNED_USERS');
  expect(breakdown.components.map((c: any) => c.name)).toEqual(['base', 'waiting', 'attempts', 'urgent_signature']);
  expect(breakdown.total).toBe(breakdown.components.reduce((sum: number, c: any) => sum + c.points, 0));
  expect(breakdown.storedScore).toBe(breakdown.total);
  const signed = (await server.admin.data(`mutation { recordSignature(userId: "${u}") { entry { id } conversion { conversionType previousQueueType } } }`)).recordSignature;
  expect(signed).toEqual({ entry: null, conversion: { conversionType: 'signature_and_documents', previousQueueType: 'UNSIGNED_USERS' } });
});

it('transitionUser keeps enqueuedAt and an agent’s assignment; removeFromQueue takes the entry out', async () => {
  const s = seed(server.db);
  const u = await s.claimant({ signatureStatus: 'obtained' });
  await s.requirement(u);
  const entryId = await s.entry({ userId: u, queueType: 'outstanding_requests', status: 'assigned', agentId: agent });
  const [before] = await server.db.sql(`SELECT enqueued_at FROM outstanding_requests_queue WHERE id = $1`, [entryId]);
  const moved = (await server.admin.data(`mutation { transitionUser(userId: "${u}", to: UNSIGNED_USERS, reason: "signature withdrawn") { ${ENTRY} } }`)).transitionUser;
  expect(moved).toMatchObject({ queueType: 'UNSIGNED_USERS', status: 'ASSIGNED', assignedAgent: { id: String(agent) } });
  expect(Date.parse(moved.enqueuedAt)).toBe(before!.enqueued_at.getTime());
  const old = await server.db.sql(`SELECT status, closed_reason FROM outstanding_requests_queue WHERE id = $1`, [entryId]);
  expect(old[0]).toEqual({ status: 'removed', closed_reason: 'transitioned to unsigned_users: signature withdrawn' });
  const removed = (await server.admin.data(`mutation { removeFromQueue(userId: "${u}", reason: "duplicate claim") { status closedReason } }`)).removeFromQueue;
  expect(removed).toEqual({ status: 'REMOVED', closedReason: 'duplicate claim' });
});
