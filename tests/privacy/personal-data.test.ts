import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { GraphQLClient } from '../support/client.js';

/**
 * Personal data: who reads it (masked for dashboards, the held claimants for an agent, all of it
 * for ADMIN and personal-data keys), the audit of reads, and erasure.
 */
let server: TestServer;
let s: ReturnType<typeof seed>;
const keys: Record<string, GraphQLClient> = {};

beforeAll(async () => {
  server = await startTestServer({ CALLING_WINDOW_START: '00:00', CALLING_WINDOW_END: '23:59' });
  s = seed(server.db);
  const key = async (role: string, extra = '') =>
    new GraphQLClient(server.app.url, (await server.admin.data(`mutation { createApiKey(role: ${role}${extra}) { key } }`)).createApiKey.key);
  keys.viewer = await key('VIEWER');
  keys.integrator = await key('INTEGRATOR');
  keys.trusted = await key('INTEGRATOR', ', personalData: true');
});
afterAll(() => server.close());

/** A claimant with a name, a phone and a pending document, queued. */
async function person(first: string, phone: string): Promise<string> {
  const userId = await s.claimant({ signatureStatus: 'obtained', score: 600 });
  await server.admin.data(`mutation($u: ID!, $f: String!, $p: String!) { upsertClaimant(input: { userId: $u, claimId: "C", firstName: $f, lastName: "Lovelace", phone: $p }) { userId } }`,
    { u: String(userId), f: first, p: phone });
  await s.requirement(userId, 'medical_records');
  await server.admin.data(`mutation($u: ID!) { enqueueUser(input: { userId: $u, queueType: OUTSTANDING_REQUESTS }) { id } }`, { u: String(userId) });
  return String(userId);
}

const PAGE = `{ queue(type: OUTSTANDING_REQUESTS) { entries(first: 50) { nodes { userId
  ... on OutstandingRequestEntry { requirementTypes } claimant { firstName lastName phone } } } } }`;
const byUser = async (client: GraphQLClient) =>
  new Map<string, any>((await client.data(PAGE)).queue.entries.nodes.map((n: any) => [n.userId, n]));

describe('who reads what', () => {
  let ada: string;
  let grace: string;
  beforeAll(async () => {
    ada = await person('Ada', '+1 555 010 0303');
    grace = await person('Grace', '+1 555 010 0404');
  });

  it('VIEWER and INTEGRATOR keys page the queues and read masked values only', async () => {
    for (const client of [keys.viewer!, keys.integrator!]) {
      const rows = await byUser(client);
      expect(rows.get(ada).claimant).toEqual({ firstName: 'A.', lastName: 'L.', phone: '+1 555 ••• 0303' });
      expect(rows.get(grace).claimant).toEqual({ firstName: 'G.', lastName: 'L.', phone: '+1 555 ••• 0404' });
      expect(rows.get(ada).requirementTypes).toEqual(['•••']);
      expect(JSON.stringify([...rows.values()])).not.toMatch(/Ada|Grace|Lovelace|010 0303|medical_records/);
    }
    expect((await keys.viewer!.data(`{ viewer { role personalData } }`)).viewer).toEqual({ role: 'VIEWER', personalData: false });
  });

  it('an AGENT reads the phone of the claimant it holds, and masked values of the others', async () => {
    const agent = await s.agent();
    const agentKey = new GraphQLClient(server.app.url,
      (await server.admin.data(`mutation($a: ID) { createApiKey(role: AGENT, agentId: $a) { key } }`, { a: String(agent) })).createApiKey.key);
    const claimed = (await agentKey.data(`mutation($a: ID!) { assignNextUser(agentId: $a, queueType: OUTSTANDING_REQUESTS) { userId } }`,
      { a: String(agent) })).assignNextUser.userId;
    const rows = await byUser(agentKey);
    const held = rows.get(claimed).claimant;
    expect(held.phone).toMatch(/^\+1 555 010 0\d\d\d$/);
    expect(held.firstName).toMatch(/^(Ada|Grace|Test)$/);
    for (const [userId, row] of rows) if (userId !== claimed) expect(row.claimant.phone ?? '').not.toMatch(/010 0/);
    // Once released it is no longer the agent's.
    const entry = (await server.admin.data(`query($u: ID!) { userQueueEntry(userId: $u) { id } }`, { u: claimed })).userQueueEntry.id;
    await agentKey.data(`mutation($e: ID!) { releaseEntry(entryId: $e) { id } }`, { e: entry });
    expect((await byUser(agentKey)).get(claimed).claimant.phone ?? '').not.toMatch(/010 0/);
  });

  it('a key with personal-data access reads everything, and the audit shows the bulk read', async () => {
    const rows = await byUser(keys.trusted!);
    expect(rows.get(ada).claimant).toEqual({ firstName: 'Ada', lastName: 'Lovelace', phone: '+1 555 010 0303' });
    expect(rows.get(ada).requirementTypes).toEqual(['medical_records']);
    const audit = async () => (await server.admin.data(`{ personalDataAccess(first: 50) { actor role userIds fields unmasked } }`)).personalDataAccess;
    let found: any;
    for (let i = 0; i < 50 && !found; i += 1) {
      found = (await audit()).find((a: any) => a.role === 'INTEGRATOR' && a.unmasked && a.userIds.includes(ada) && a.userIds.includes(grace));
      if (!found) await new Promise((r) => setTimeout(r, 50));
    }
    expect(found.fields).toEqual(expect.arrayContaining(['Claimant.firstName', 'Claimant.phone', 'OutstandingRequestEntry.requirementTypes']));
    expect(found.actor).toMatch(/^key \d+$/);
    // A single claimant's masked read by a dashboard is not a personal-data access; a bulk one is, masked.
    const masked = (await audit()).filter((a: any) => a.role === 'VIEWER');
    expect(masked.length).toBeGreaterThan(0);
    expect(masked.every((a: any) => a.unmasked === false)).toBe(true);
  });

  it('refuses personal-data access for ADMIN and AGENT keys, and for a non-ADMIN asking', async () => {
    const count = async () => (await server.db.sql(`SELECT count(*)::int AS n FROM api_keys`))[0]!.n;
    const before = await count();
    expect(await server.admin.errorCode(`mutation { createApiKey(role: ADMIN, personalData: true) { key } }`)).toBe('BAD_USER_INPUT');
    const agent = await s.agent();
    expect(await server.admin.errorCode(`mutation($a: ID) { createApiKey(role: AGENT, agentId: $a, personalData: true) { key } }`, { a: String(agent) })).toBe('BAD_USER_INPUT');
    expect(await keys.integrator!.errorCode(`mutation { createApiKey(role: VIEWER, personalData: true) { key } }`)).toBe('FORBIDDEN');
    expect(await keys.viewer!.errorCode(`{ personalDataAccess { id } }`)).toBe('FORBIDDEN');
    expect(await count()).toBe(before);
  });
});

describe('erasure', () => {
  const phone = '+1 555 777 9911';
  const ERASE = `mutation($u: ID!, $r: String!) { eraseClaimant(userId: $u, reason: $r) { userId actor reason entriesRemoved callbacksCancelled } }`;

  /** Every text-like column of every table holding the value (the event log included). */
  async function tablesHolding(value: string): Promise<string[]> {
    const columns = await server.db.sql(`SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY')`);
    const found: string[] = [];
    for (const c of columns) {
      const [row] = await server.db.sql(`SELECT count(*)::int AS n FROM "${c.table_name}" WHERE "${c.column_name}"::text LIKE $1`, [`%${value}%`]);
      if (row!.n > 0) found.push(`${c.table_name}.${c.column_name}`);
    }
    return found;
  }

  it('erases names, phone and notes everywhere, keeps the history, and refuses the claimant afterwards', async () => {
    const userId = await person('Hedy', phone);
    const agent = await s.agent();
    // History: a call with a reason, a callback with a reason, a transition.
    const session = (await server.admin.data(`mutation($u: ID!, $a: ID!) { initiateCall(input: { userId: $u, agentId: $a, callType: DIRECT, overrideReason: "Hedy asked, call +1 555 777 9911" }) { session { id } } }`,
      { u: userId, a: String(agent) })).initiateCall.session.id;
    await server.admin.data(`mutation($s: ID!) { endCall(sessionId: $s, outcome: NO_ANSWER) { id } }`, { s: session });
    await server.admin.data(`mutation($u: ID!, $t: DateTime!) { scheduleCallback(input: { userId: $u, scheduledFor: $t, reason: "Hedy wants a call at home", claimantRequested: true }) { callback { id } } }`,
      { u: userId, t: new Date(Date.now() + 7_200_000).toISOString() });
    const counts = async () => (await server.db.sql(`SELECT
      (SELECT count(*) FROM call_sessions WHERE user_id = $1)::int AS sessions,
      (SELECT count(*) FROM queue_transitions WHERE user_id = $1)::int AS transitions,
      (SELECT count(*) FROM callbacks WHERE user_id = $1)::int AS callbacks,
      (SELECT total_attempts FROM user_call_scores WHERE user_id = $1) AS attempts,
      (SELECT count(*) FROM conversions)::int AS conversions`, [userId]))[0]!;
    const before = await counts();
    expect(await tablesHolding('777 9911')).not.toEqual([]);

    const erased = (await server.admin.data(ERASE, { u: userId, r: 'GDPR request 2026-118' })).eraseClaimant;
    expect(erased).toEqual({ userId, actor: 'admin (env)', reason: 'GDPR request 2026-118', entriesRemoved: 1, callbacksCancelled: 1 });

    expect(await tablesHolding('777 9911')).toEqual([]);
    expect(await tablesHolding('Hedy')).toEqual([]);
    const after = await counts();
    expect({ ...after, transitions: before.transitions }).toEqual(before);
    expect(after.transitions).toBe(before.transitions + 1); // the removal itself
    const claimant = (await server.admin.data(`query($u: ID!) { claimant(userId: $u) { firstName lastName phone erasedAt } }`, { u: userId })).claimant;
    expect(claimant).toMatchObject({ firstName: '[erased]', lastName: '[erased]', phone: null });
    expect(claimant.erasedAt).not.toBeNull();

    const refused = [
      [`mutation($u: ID!) { enqueueUser(input: { userId: $u, queueType: OUTSTANDING_REQUESTS }) { id } }`, { u: userId }],
      [`mutation($u: ID!, $a: ID!) { initiateCall(input: { userId: $u, agentId: $a, callType: DIRECT, overrideReason: "x" }) { status } }`, { u: userId, a: String(agent) }],
      [`mutation($u: ID!) { upsertClaimant(input: { userId: $u, claimId: "C", firstName: "Hedy" }) { userId } }`, { u: userId }],
      [ERASE, { u: userId, r: 'again' }],
    ] as const;
    const state = async () => JSON.stringify(await server.db.sql(`SELECT
      (SELECT count(*) FROM claimant_erasures WHERE user_id = $1)::int AS erasures,
      (SELECT count(*) FROM call_sessions WHERE user_id = $1)::int AS sessions,
      (SELECT count(*) FROM unsigned_users_queue WHERE user_id = $1)::int + (SELECT count(*) FROM outstanding_requests_queue WHERE user_id = $1)::int AS entries,
      (SELECT first_name FROM claimants WHERE user_id = $1) AS first_name`, [userId]));
    const settled = await state();
    for (const [query, variables] of refused) expect(await server.admin.errorCode(query, variables)).toBe('CONFLICT');
    expect(await state()).toBe(settled); // each refusal changed nothing, the second erasure included
    // Raw SQL too: the database refuses it in the queues.
    await expect(server.db.sql(`INSERT INTO unsigned_users_queue (user_id, claim_id, priority_score) VALUES ($1, 'C', 1)`, [userId])).rejects.toThrow(/erased/);
    expect(await tablesHolding('Hedy')).toEqual([]);

    const log = (await server.admin.data(`{ claimantErasures { userId actor reason } }`)).claimantErasures;
    expect(log).toContainEqual({ userId, actor: 'admin (env)', reason: 'GDPR request 2026-118' });
  });

  it('refuses, changing nothing: a non-ADMIN key, an unknown claimant, an empty reason', async () => {
    const userId = await person('Alan', '+1 555 888 1212');
    const snapshot = async () => JSON.stringify(await server.db.sql(`SELECT first_name, phone, erased_at FROM claimants WHERE user_id = $1`, [userId]));
    const before = await snapshot();
    expect(await keys.trusted!.errorCode(ERASE, { u: userId, r: 'asked' })).toBe('FORBIDDEN');
    expect(await keys.viewer!.errorCode(ERASE, { u: userId, r: 'asked' })).toBe('FORBIDDEN');
    expect(await server.admin.errorCode(ERASE, { u: '987654321', r: 'asked' })).toBe('NOT_FOUND');
    expect(await server.admin.errorCode(ERASE, { u: userId, r: '  ' })).toBe('BAD_USER_INPUT');
    expect(await server.admin.errorCode(ERASE, { u: 'abc', r: 'asked' })).toBe('BAD_USER_INPUT');
    expect(await snapshot()).toBe(before);
    expect((await server.db.sql(`SELECT count(*)::int AS n FROM claimant_erasures WHERE user_id = $1`, [userId]))[0]!.n).toBe(0);
  });
});
