import { seed } from '../support/seed.js';
import { seedLegacy, startLegacyPhase } from '../support/legacy.js';
import { createTestDatabase } from '../support/database.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** Every refusal of the migration mutations is coded and changes nothing. */
let server: TestServer;
let viewerKey: string;
let agentKey: string;

beforeAll(async () => {
  const db = await createTestDatabase();
  await seedLegacy(db, { unsigned: 3000, outstanding: 1000, callbacks: 10, closed: 100 });
  await startLegacyPhase(db);
  server = await startTestServer({}, db);
  const agent = await seed(db).agent();
  viewerKey = (await server.admin.data(`mutation { createApiKey(role: VIEWER) { key } }`)).createApiKey.key;
  agentKey = (await server.admin.data(`mutation($a: ID) { createApiKey(role: AGENT, agentId: $a) { key } }`, { a: String(agent) })).createApiKey.key;
});
afterAll(() => server.close());

/** Everything a refused mutation could have touched. */
async function snapshot() {
  return server.db.sql(`SELECT (SELECT phase FROM migration_state) AS phase,
      (SELECT count(*) FROM migration_phase_changes)::int AS changes, (SELECT count(*) FROM migration_runs)::int AS runs,
      (SELECT md5(string_agg(q::text, ',' ORDER BY id)) FROM call_queue q) AS legacy,
      (SELECT count(*) FROM separated_entry_images)::int AS separated`);
}

async function refused(key: string | null, query: string, code: string, message?: RegExp) {
  const before = await snapshot();
  const result = await server.client(key).request(query);
  expect(result.errors?.[0]?.extensions?.code).toBe(code);
  if (message) expect(result.errors![0]!.message).toMatch(message);
  expect(await snapshot()).toEqual(before);
  return result.errors![0]!;
}

const MUTATIONS = [
  'mutation { previewQueueMigration { legacyRows } }',
  'mutation { applyQueueMigration(wait: true) { id } }',
  'mutation { validateQueueMigration { passed } }',
  'mutation { setMigrationPhase(phase: DUAL_WRITE) { phase } }',
  'mutation { rollbackQueueMigration(reason: "x") { phase } }',
];

it('refuses every migration mutation to non-admin keys', async () => {
  for (const query of MUTATIONS) {
    await refused(viewerKey, query, 'FORBIDDEN', /ADMIN/);
    await refused(agentKey, query, 'FORBIDDEN', /ADMIN/);
    await refused(null, query, 'UNAUTHENTICATED');
  }
});

it('refuses an unknown phase as a validation error', async () => {
  await refused(server.admin.key, 'mutation { setMigrationPhase(phase: HALF_WAY) { phase } }', 'GRAPHQL_VALIDATION_FAILED');
});

it('refuses skips and backward moves with what is allowed', async () => {
  const admin = server.admin.key;
  const skip = await refused(admin, 'mutation { setMigrationPhase(phase: READ_NEW) { phase } }', 'CONFLICT', /next is DUAL_WRITE/);
  expect(skip.extensions).toMatchObject({ phase: 'PRE_MIGRATION', requested: 'READ_NEW', next: 'DUAL_WRITE' });
  await refused(admin, 'mutation { setMigrationPhase(phase: PRE_MIGRATION) { phase } }', 'CONFLICT', /already in PRE_MIGRATION/);
});

it('refuses apply outside the copying phases, bad batch sizes, and rollback without reason or from the start', async () => {
  const admin = server.admin.key;
  await refused(admin, 'mutation { applyQueueMigration(wait: true) { id } }', 'CONFLICT', /DUAL_WRITE or BACKFILLED/);
  await refused(admin, 'mutation { rollbackQueueMigration(reason: "x") { phase } }', 'CONFLICT', /nothing to roll back/);
  await refused(admin, 'mutation { rollbackQueueMigration(reason: "   ") { phase } }', 'BAD_USER_INPUT', /reason/);
  await server.admin.data('mutation { setMigrationPhase(phase: DUAL_WRITE) { phase } }');
  for (const size of [0, -5, 50_001]) {
    await refused(admin, `mutation { applyQueueMigration(batchSize: ${size}, wait: true) { id } }`, 'BAD_USER_INPUT', /1–50000/);
  }
});

it('refuses BACKFILLED before an apply and READ_NEW before a passing validation, saying what is missing', async () => {
  const admin = server.admin.key;
  const error = await refused(admin, 'mutation { setMigrationPhase(phase: BACKFILLED) { phase } }', 'CONFLICT', /no applyQueueMigration has completed/);
  expect(error.extensions!.missing).toHaveLength(1);
  expect((await server.admin.data('{ migrationStatus { blockers } }')).migrationStatus.blockers).toEqual(error.extensions!.missing);

  // A second apply while the first runs: CONFLICT naming the running one.
  const started = (await server.admin.data('mutation { applyQueueMigration(batchSize: 1) { id status } }')).applyQueueMigration;
  expect(started.status).toBe('RUNNING');
  const busy = await server.admin.request('mutation { applyQueueMigration(wait: true) { id } }');
  expect(busy.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', runId: started.id });
  await server.admin.request('mutation { validateQueueMigration { passed } }').then((r) =>
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', runId: started.id }));
  // Let the apply record a batch (under a loaded machine the first can take a while), then
  // stop it between batches: there is something to resume after.
  for (let i = 0; i < 100; i += 1) {
    const [run] = await server.db.sql(`SELECT last_legacy_id FROM migration_runs WHERE id = $1`, [started.id]);
    if (run?.last_legacy_id !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await server.app.close();  // stops the apply between batches (resumable)
  server = await startTestServer({}, server.db);
  const interrupted = (await server.admin.data(`query($id: ID!) { migrationRun(id: $id) { status error processedRows } }`, { id: started.id })).migrationRun;
  expect(interrupted.status).toBe('FAILED');
  expect(interrupted.error).toMatch(/interrupted/);

  const done = (await server.admin.data('mutation { applyQueueMigration(batchSize: 2000, wait: true) { status resumedFrom } }')).applyQueueMigration;
  expect(done).toEqual({ status: 'SUCCEEDED', resumedFrom: started.id });
  await server.admin.data('mutation { setMigrationPhase(phase: BACKFILLED) { phase } }');
  await refused(admin, 'mutation { setMigrationPhase(phase: READ_NEW) { phase } }', 'CONFLICT', /no validateQueueMigration has run/);

  // A failing validation blocks READ_NEW with the count.
  await server.db.sql(`UPDATE unsigned_users_queue SET priority_score = priority_score + 1 WHERE id = (SELECT min(id) FROM unsigned_users_queue)`);
  const failed = (await server.admin.data('mutation { validateQueueMigration { passed mismatchCount mismatches { kind entryId } } }')).validateQueueMigration;
  expect(failed).toMatchObject({ passed: false, mismatchCount: 1, mismatches: [{ kind: 'DIFFERENT' }] });
  await refused(admin, 'mutation { setMigrationPhase(phase: READ_NEW) { phase } }', 'CONFLICT', /found 1 mismatches/);
});
