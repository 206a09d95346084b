import {
  getNamedType, isEnumType, isInputObjectType, isListType, isNonNullType, isInterfaceType, isScalarType,
  isUnionType, type GraphQLField, type GraphQLInputType, type GraphQLNamedType, type GraphQLObjectType,
} from 'graphql';
import { buildGraphQLSchema } from '../../src/graphql/schema.js';
import { GraphQLClient } from '../support/client.js';
import { seed } from '../support/seed.js';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../support/server.js';
import { DAYTIME } from '../support/zones.js';

/**
 * A fuzzer over the schema: documents generated from the SDL for each role — random fields and
 * arguments, wrong types, out-of-range numbers, huge and odd strings, unicode, nulls, deep and
 * wide selections, variables — then random sequences of valid mutations. After every case: no
 * HTTP 500, no INTERNAL_SERVER_ERROR; a refused mutation changed nothing; every so often the
 * invariants of the data model hold and the server answers. Seeded: FUZZ_SEED=<n> replays a run.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const CASES_PER_ROLE = Number(process.env.FUZZ_CASES ?? 400);
const schema = buildGraphQLSchema();
let server: TestServer;
let keys: Record<string, string>;
let ids: { users: number[]; agents: number[]; entries: number[] };

/** mulberry32: small, fast, good enough, and the same sequence for the same seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Random = ReturnType<typeof prng>;

const ODD_STRINGS = ['', ' ', 'x'.repeat(5000), '💥🔥 émoji', 'RTL \u202e text', 'nul\u0000byte', "quote' \" \\ `", '%_\\', '1e309', '-0',
  '2026-13-45T99:99:99Z', 'NaN', '../../etc/passwd', '<script>alert(1)</script>', 'SELECT 1; DROP TABLE claimants;--'];
const ODD_NUMBERS = [0, -1, 1, 2, 499, 500, 501, 9999, 10_000, 2 ** 31 - 1, -(2 ** 31), 1e9];

/** A value for an argument: usually plausible, sometimes wrong in every way a client can be. */
function valueFor(type: GraphQLInputType, r: Random, depth = 0): unknown {
  if (isNonNullType(type)) return r.chance(0.05) ? null : valueFor(type.ofType, r, depth);
  if (r.chance(0.08)) return null;
  if (isListType(type)) return Array.from({ length: r.int(3) }, () => valueFor(type.ofType, r, depth + 1));
  if (isEnumType(type)) return r.chance(0.1) ? 'NOT_A_VALUE' : r.pick(type.getValues()).name;
  if (isInputObjectType(type)) {
    if (depth > 2) return {};
    return Object.fromEntries(Object.values(type.getFields()).filter(() => r.chance(0.8)).map((f) => [f.name, valueFor(f.type, r, depth + 1)]));
  }
  const wrongType = r.chance(0.1);
  switch (type.name) {
    case 'Int': return wrongType ? r.pick(ODD_STRINGS) : r.pick(ODD_NUMBERS);
    case 'Float': return wrongType ? 'many' : r.pick([...ODD_NUMBERS, 0.5, -1e300]);
    case 'Boolean': return wrongType ? 'yes' : r.chance(0.5);
    case 'ID': return r.chance(0.6) ? String(r.pick([...ids.users, ...ids.agents, ...ids.entries, 1, 0, -5, 99_999_999])) : r.pick(ODD_STRINGS);
    case 'DateTime': return r.chance(0.6) ? new Date(Date.now() + (r.next() - 0.3) * 40 * 86_400_000).toISOString() : r.pick(ODD_STRINGS);
    default: return wrongType ? 42 : r.pick(ODD_STRINGS);
  }
}

/** A selection of a type's fields (some wide, some deep), as text. */
function selection(type: GraphQLNamedType, r: Random, depth: number): string {
  if (isScalarType(type) || isEnumType(type)) return '';
  if (isUnionType(type)) return '{ __typename }';
  const fields = Object.values((type as GraphQLObjectType).getFields());
  if (depth > 4) {
    const leaf = fields.find((f) => { const t = getNamedType(f.type); return (isScalarType(t) || isEnumType(t)) && !f.args.some((a) => isNonNullType(a.type)); });
    return `{ ${leaf?.name ?? '__typename'} }`;
  }
  const chosen = fields.filter(() => r.chance(depth === 0 ? 0.9 : 0.35));
  const parts = (chosen.length ? chosen : [fields[0]!]).map((f) => fieldText(f, r, depth + 1));
  if (isInterfaceType(type)) parts.push(`... on UnsignedUserEntry { urgentSignature } ... on OutstandingRequestEntry { escalationLevel }`);
  return `{ ${parts.join(' ')} }`;
}

function fieldText(field: GraphQLField<unknown, unknown>, r: Random, depth: number): string {
  const args = field.args.filter((a) => isNonNullType(a.type) || r.chance(0.5))
    .map((a) => `${a.name}: ${JSON.stringify(valueFor(a.type, r)).replace(/"([A-Z][A-Z_]+)"/g, (m, e) => (isEnumType(getNamedType(a.type)) ? e : m))}`);
  return `${field.name}${args.length ? `(${args.join(', ')})` : ''} ${selection(getNamedType(field.type), r, depth)}`;
}

/** One operation of a root type, sometimes passing its arguments as variables. */
function operation(root: 'query' | 'mutation', r: Random): { query: string; variables?: Record<string, unknown>; field: string } {
  const type = root === 'query' ? schema.getQueryType()! : schema.getMutationType()!;
  const field = r.pick(Object.values(type.getFields()));
  if (r.chance(0.3) && field.args.length > 0) {
    const defs = field.args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
    const uses = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
    const variables = Object.fromEntries(field.args.filter(() => r.chance(0.9)).map((a) => [a.name, valueFor(a.type, r)]));
    return { query: `${root} (${defs}) { ${field.name}(${uses}) ${selection(getNamedType(field.type), r, 1)} }`, variables, field: field.name };
  }
  return { query: `${root} { ${fieldText(field, r, 0)} }`, field: field.name };
}

/** The rows a refused mutation must not have changed (not last_used_at: using a key records it). */
const FINGERPRINT = `SELECT md5(string_agg(t, '|')) AS f FROM (
  SELECT (SELECT coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM claimants x) AS t
  UNION ALL SELECT (SELECT coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM claim_requirements x)
  UNION ALL SELECT (SELECT coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM user_call_scores x)
  UNION ALL SELECT (SELECT coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM unsigned_users_queue x)
  UNION ALL SELECT (SELECT coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM outstanding_requests_queue x)
  UNION ALL SELECT (SELECT coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM callbacks x)
  UNION ALL SELECT (SELECT coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM call_sessions x)
  UNION ALL SELECT (SELECT coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM call_requests x)
  UNION ALL SELECT (SELECT coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM conversions x)
  UNION ALL SELECT (SELECT coalesce(md5(string_agg((to_jsonb(x) - 'last_used_at')::text, ',' ORDER BY x.id)), '') FROM api_keys x)
  UNION ALL SELECT (SELECT count(*)::text FROM queue_transitions)) parts`;

/** DESIGN section 4, checked on the data itself. */
async function invariantsHold(): Promise<string[]> {
  const [row] = await server.db.sql(`SELECT
    (SELECT count(*) FROM (SELECT user_id FROM (SELECT user_id FROM unsigned_users_queue WHERE status IN ('pending', 'assigned')
       UNION ALL SELECT user_id FROM outstanding_requests_queue WHERE status IN ('pending', 'assigned')) l GROUP BY user_id HAVING count(*) > 1) d)::int AS two_live,
    (SELECT count(*) FROM (SELECT priority_score, status, assigned_to_agent_id, assigned_at FROM unsigned_users_queue
       UNION ALL SELECT priority_score, status, assigned_to_agent_id, assigned_at FROM outstanding_requests_queue) e
      WHERE priority_score NOT BETWEEN 0 AND 9999 OR (status = 'assigned' AND (assigned_to_agent_id IS NULL OR assigned_at IS NULL))
         OR (status = 'pending' AND (assigned_to_agent_id IS NOT NULL OR assigned_at IS NOT NULL)))::int AS bad_entries,
    (SELECT count(*) FROM user_call_scores WHERE current_score NOT BETWEEN 0 AND 9999)::int AS bad_scores,
    (SELECT count(*) FROM (SELECT user_id FROM call_sessions WHERE status = 'active' GROUP BY user_id HAVING count(*) > 1) s)::int AS two_calls,
    (SELECT active > max_lines FROM call_lines)::int AS over_lines`);
  return Object.entries(row!).filter(([, n]) => n !== 0).map(([k, n]) => `${k}: ${n}`);
}

beforeAll(async () => {
  server = await startTestServer({ LINES_JOB_CRON: '', CALLBACK_JOB_CRON: '', QUEUE_SAMPLE_CRON: '' });
  const s = seed(server.db);
  const agents = [await s.agent(), await s.agent(), await s.agent()];
  const users: number[] = [];
  for (let i = 0; i < 20; i += 1) {
    const u = await s.claimant({ timezone: DAYTIME(), signatureStatus: i % 2 ? 'obtained' : 'missing', attempts: i % 4 });
    if (i % 2) await s.requirement(u);
    users.push(u);
  }
  for (const u of users.slice(0, 14)) {
    await server.admin.data(`mutation($u: ID!, $q: QueueType!) { enqueueUser(input: { userId: $u, queueType: $q }) { id } }`,
      { u: String(u), q: u % 2 ? 'OUTSTANDING_REQUESTS' : 'UNSIGNED_USERS' });
  }
  const entries = (await server.db.sql(`SELECT id FROM unsigned_users_queue UNION ALL SELECT id FROM outstanding_requests_queue`)).map((r) => Number(r.id));
  ids = { users, agents, entries };
  keys = { ADMIN: TEST_ADMIN_KEY };
  for (const role of ['VIEWER', 'INTEGRATOR', 'AGENT']) {
    keys[role] = (await server.admin.data(`mutation($r: Role!, $a: ID) { createApiKey(role: $r, agentId: $a) { key } }`,
      { r: role, a: role === 'AGENT' ? String(agents[0]) : null })).createApiKey.key;
  }
}, 60_000);
afterAll(() => server.close());

/** What no case may produce. */
function failures(result: { status: number; errors?: { message: string; extensions?: { code?: string } }[] }): string[] {
  const out: string[] = [];
  if (result.status >= 500) out.push(`HTTP ${result.status}`);
  for (const e of result.errors ?? []) if (e.extensions?.code === 'INTERNAL_SERVER_ERROR' || !e.extensions?.code) out.push(`${e.extensions?.code ?? 'no code'}: ${e.message}`);
  return out;
}

it.each(['VIEWER', 'INTEGRATOR', 'AGENT', 'ADMIN'])(`documents generated from the schema, as %s (seed ${SEED})`, async (role) => {
  const r = prng(SEED + role.length * 7919);
  const client = new GraphQLClient(server.app.url, keys[role]!);
  const found: string[] = [];
  for (let i = 0; i < CASES_PER_ROLE; i += 1) {
    const op = operation(r.chance(0.55) ? 'query' : 'mutation', r);
    const isMutation = op.query.startsWith('mutation');
    const before = isMutation ? (await server.db.sql(FINGERPRINT))[0]!.f : null;
    let result;
    try {
      result = await client.request(op.query, op.variables);
    } catch (error) {
      found.push(`case ${i} (${op.field}): the server did not answer: ${String(error)}`);
      break;
    }
    for (const f of failures(result)) found.push(`case ${i} (${op.field}): ${f}\n  ${op.query.slice(0, 300)}\n  variables: ${JSON.stringify(op.variables ?? {}).slice(0, 300)}`);
    // A refused mutation changed nothing: refused means an error of the operation itself (at its
    // root field, or before it ran) — not of a field of its payload, read after the write.
    const refused = result.errors?.some((e: any) => !e.path || e.path.length <= 1);
    if (isMutation && refused) {
      const after = (await server.db.sql(FINGERPRINT))[0]!.f;
      if (after !== before) found.push(`case ${i} (${op.field}): refused with ${result.errors![0]!.extensions?.code} but changed rows\n  ${op.query.slice(0, 300)}`);
    }
    if (i % 100 === 99) for (const v of await invariantsHold()) found.push(`after case ${i}: invariant broken: ${v}`);
    if (found.length > 5) break;
  }
  for (const v of await invariantsHold()) found.push(`invariant broken: ${v}`);
  expect((await server.admin.request('{ viewer { role } }')).status).toBe(200);
  expect(found).toEqual([]);
}, 120_000);

it(`random sequences of valid mutations keep every invariant (seed ${SEED})`, async () => {
  const r = prng(SEED);
  const found: string[] = [];
  const id = (xs: number[]) => String(r.pick(xs));
  const steps: (() => { query: string; variables: Record<string, unknown> })[] = [
    () => ({ query: `mutation($a: ID!, $q: QueueType!) { assignNextUser(agentId: $a, queueType: $q) { id } }`, variables: { a: id(ids.agents), q: r.pick(['UNSIGNED_USERS', 'OUTSTANDING_REQUESTS']) } }),
    () => ({ query: `mutation($u: ID!, $q: QueueType!) { enqueueUser(input: { userId: $u, queueType: $q }) { id } }`, variables: { u: id(ids.users), q: r.pick(['UNSIGNED_USERS', 'OUTSTANDING_REQUESTS']) } }),
    () => ({ query: `mutation($u: ID!, $to: QueueType!) { transitionUser(userId: $u, to: $to, reason: "fuzz") { id } }`, variables: { u: id(ids.users), to: r.pick(['UNSIGNED_USERS', 'OUTSTANDING_REQUESTS']) } }),
    () => ({ query: `mutation($u: ID!) { removeFromQueue(userId: $u, reason: "fuzz") { id } }`, variables: { u: id(ids.users) } }),
    () => ({ query: `mutation($u: ID!) { recordSignature(userId: $u) { claimant { userId } } }`, variables: { u: id(ids.users) } }),
    () => ({ query: `mutation($u: ID!, $a: ID!, $t: CallType!) { initiateCall(input: { userId: $u, agentId: $a, callType: $t, overrideReason: "fuzz" }) { status } }`, variables: { u: id(ids.users), a: id(ids.agents), t: 'DIRECT' } }),
    () => ({ query: `mutation($u: ID!, $at: DateTime!) { scheduleCallback(input: { userId: $u, scheduledFor: $at, reason: "fuzz", claimantRequested: true }) { callback { id } } }`, variables: { u: id(ids.users), at: new Date(Date.now() + (1 + r.int(48)) * 3_600_000).toISOString() } }),
  ];
  for (let i = 0; i < 300; i += 1) {
    // Outcomes and call ends act on what exists now.
    const [assigned] = await server.db.sql(`SELECT id FROM (SELECT id FROM unsigned_users_queue WHERE status = 'assigned' UNION ALL
      SELECT id FROM outstanding_requests_queue WHERE status = 'assigned') a ORDER BY random() LIMIT 1`);
    const [active] = await server.db.sql(`SELECT id FROM call_sessions WHERE status = 'active' ORDER BY random() LIMIT 1`);
    const options = [...steps];
    if (assigned) options.push(() => ({ query: `mutation($e: ID!, $o: CallOutcome!) { recordCallOutcome(input: { entryId: $e, outcome: $o }) { entry { id } } }`,
      variables: { e: String(assigned.id), o: r.pick(['ANSWERED', 'NO_ANSWER', 'BUSY', 'VOICEMAIL', 'CALLBACK_REQUESTED', 'FAILED', 'CONVERTED', 'REFUSED', 'WRONG_NUMBER']) } }));
    if (assigned) options.push(() => ({ query: `mutation($e: ID!) { releaseEntry(entryId: $e) { id } }`, variables: { e: String(assigned.id) } }));
    if (active) options.push(() => ({ query: `mutation($s: ID!, $o: CallOutcome!) { endCall(sessionId: $s, outcome: $o) { id } }`, variables: { s: String(active.id), o: r.pick(['ANSWERED', 'NO_ANSWER']) } }));
    const step = r.pick(options)();
    const result = await server.admin.request(step.query, step.variables);
    for (const f of failures(result)) found.push(`step ${i}: ${f}\n  ${step.query} ${JSON.stringify(step.variables)}`);
    if (i % 50 === 49) for (const v of await invariantsHold()) found.push(`after step ${i}: invariant broken: ${v}`);
    if (found.length > 5) break;
  }
  expect(found).toEqual([]);
}, 120_000);
