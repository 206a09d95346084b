import { seed } from '../support/seed.js';
import { seedLegacy, startLegacyPhase } from '../support/legacy.js';
import { createTestDatabase } from '../support/database.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The whole legacy migration through the public API, on a seeded legacy data set:
 * preview → DUAL_WRITE → apply → validate → BACKFILLED → READ_NEW → NEW_ONLY →
 * LEGACY_DEPRECATED → rollback, checking at each step which tables are read and written.
 */
let server: TestServer;
let legacy: { first: number; last: number; rows: number };

const STATUS = `phase flags { writesLegacy writesSeparated readsFrom fallbackToLegacy legacyReadOnly } nextPhase blockers
  counts { queueType legacyRows legacyLive separatedRows separatedLive }`;

beforeAll(async () => {
  const db = await createTestDatabase();
  legacy = await seedLegacy(db, { unsigned: 120, outstanding: 80, callbacks: 15, closed: 60, bothTypes: 3 });
  await startLegacyPhase(db);
  server = await startTestServer({ CALLING_WINDOW_START: '00:00', CALLING_WINDOW_END: '23:59' }, db);
});
afterAll(() => server.close());

const count = async (table: string, where = 'true') =>
  Number((await server.db.sql(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`))[0]!.n);
const status = async () => (await server.admin.data(`{ migrationStatus { ${STATUS} } }`)).migrationStatus;
const setPhase = (phase: string) => server.admin.request(`mutation($p: MigrationPhase!) { setMigrationPhase(phase: $p, reason: "test") { phase } }`, { p: phase });
const enqueue = async (queueType = 'UNSIGNED_USERS') => {
  const userId = await seed(server.db).claimant({ signatureStatus: queueType === 'UNSIGNED_USERS' ? 'missing' : 'obtained' });
  if (queueType !== 'UNSIGNED_USERS') await seed(server.db).requirement(userId);
  return (await server.admin.data(`mutation($u: ID!, $q: QueueType!) { enqueueUser(input: { userId: $u, queueType: $q }) { id } }`,
    { u: String(userId), q: queueType })).enqueueUser.id as string;
};
const inLegacy = (id: string) => count('call_queue', `id = ${Number(id)}`);
const inSeparated = async (id: string) =>
  (await count('unsigned_users_queue', `id = ${Number(id)}`)) + (await count('outstanding_requests_queue', `id = ${Number(id)}`));

it('takes a legacy install through every phase and back without losing an entry', async () => {
  // PRE_MIGRATION: legacy only, read and written.
  expect(await status()).toMatchObject({ phase: 'PRE_MIGRATION', nextPhase: 'DUAL_WRITE', flags: { readsFrom: 'LEGACY', writesSeparated: false } });
  const depth = (await server.admin.data(`{ queue(type: UNSIGNED_USERS) { depth } }`)).queue.depth;
  expect(depth).toBe(120);
  const early = await enqueue();
  expect([await inLegacy(early), await inSeparated(early)]).toEqual([1, 0]);

  // Preview changes nothing and announces the conflicts and callbacks.
  const before = await server.db.sql(`SELECT md5(string_agg(q::text, ',' ORDER BY id)) AS h FROM call_queue q`);
  const preview = (await server.admin.data(`mutation { previewQueueMigration {
      phase legacyRows byLegacyType { legacyType rows live } byTarget { queueType toInsert live } callbacksToConvert
      conflictCount conflicts { kind userId entryIds resolution } sample { id queueType claimId } } }`)).previewQueueMigration;
  expect(preview.legacyRows).toBe(legacy.rows + 1);
  expect(preview.byLegacyType).toEqual(expect.arrayContaining([{ legacyType: 'callback', rows: 15, live: 15 }]));
  expect(preview.callbacksToConvert).toBe(15);
  expect(preview.conflictCount).toBe(3);
  expect(preview.conflicts[0]).toMatchObject({ kind: 'LIVE_IN_BOTH_TYPES', userId: String(legacy.first) });
  expect(preview.byTarget.find((t: { queueType: string }) => t.queueType === 'UNSIGNED_USERS').toInsert).toBeGreaterThan(120);
  expect(preview.sample.every((e: { claimId: string | null }) => e.claimId)).toBe(true);
  expect(await server.db.sql(`SELECT md5(string_agg(q::text, ',' ORDER BY id)) AS h FROM call_queue q`)).toEqual(before);
  expect(await count('unsigned_users_queue')).toBe(0);

  // DUAL_WRITE: an enqueue lands in both tables under one id.
  expect((await setPhase('DUAL_WRITE')).data.setMigrationPhase.phase).toBe('DUAL_WRITE');
  const dual = await enqueue('OUTSTANDING_REQUESTS');
  expect([await inLegacy(dual), await inSeparated(dual)]).toEqual([1, 1]);
  const blocked = await setPhase('BACKFILLED');
  expect(blocked.errors![0]!.extensions!.code).toBe('CONFLICT');
  expect(blocked.errors![0]!.message).toMatch(/applyQueueMigration/);

  // Apply (small batches), then validate.
  const run = (await server.admin.data(`mutation { applyQueueMigration(batchSize: 50, wait: true) {
      id status processedRows totalRows progress conflictsResolved callbacksConverted error } }`)).applyQueueMigration;
  expect(run).toMatchObject({ status: 'SUCCEEDED', conflictsResolved: 3, callbacksConverted: 15, progress: 1, error: null });
  expect(run.processedRows).toBe(run.totalRows);
  const legacyRows = await count('call_queue');
  expect((await count('unsigned_users_queue')) + (await count('outstanding_requests_queue'))).toBe(legacyRows);
  expect(await count('callbacks', `reason = 'legacy callback' AND status = 'pending'`)).toBe(15);
  const validation = (await server.admin.data(`mutation { validateQueueMigration { passed mismatchCount unmapped
      byType { queueType legacyRows separatedRows legacyLive separatedLive mismatches } run { kind status } } }`)).validateQueueMigration;
  expect(validation).toMatchObject({ passed: true, mismatchCount: 0, unmapped: 0, run: { kind: 'VALIDATE', status: 'SUCCEEDED' } });
  for (const t of validation.byType) {
    expect(t.legacyRows).toBe(t.separatedRows);
    expect(t.legacyLive).toBe(t.separatedLive);
  }

  expect((await setPhase('BACKFILLED')).data.setMigrationPhase.phase).toBe('BACKFILLED');
  expect((await setPhase('READ_NEW')).data.setMigrationPhase.phase).toBe('READ_NEW');
  expect((await status()).flags).toMatchObject({ readsFrom: 'SEPARATED', fallbackToLegacy: true, writesLegacy: true });

  // READ_NEW: an agent claims from the separated table; legacy follows.
  const agent = await seed(server.db).agent();
  const claimed = (await server.admin.data(`mutation($a: ID!) { assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { id status } }`,
    { a: String(agent) })).assignNextUser;
  expect(claimed.status).toBe('ASSIGNED');
  expect((await server.db.sql(`SELECT status, assigned_to_agent_id FROM call_queue WHERE id = $1`, [claimed.id]))[0])
    .toEqual({ status: 'assigned', assigned_to_agent_id: agent });

  // NEW_ONLY: new entries only in the separated tables.
  expect((await setPhase('NEW_ONLY')).data.setMigrationPhase.phase).toBe('NEW_ONLY');
  const fresh = await enqueue();
  expect([await inLegacy(fresh), await inSeparated(fresh)]).toEqual([0, 1]);
  await server.admin.data(`mutation($e: ID!) { recordCallOutcome(input: { entryId: $e, outcome: NO_ANSWER }) { entry { status } } }`, { e: claimed.id });

  // LEGACY_DEPRECATED: call_queue refuses raw writes.
  expect((await setPhase('LEGACY_DEPRECATED')).data.setMigrationPhase.phase).toBe('LEGACY_DEPRECATED');
  await expect(server.db.sql(`INSERT INTO call_queue (queue_type, user_id, priority_score) VALUES ('unsigned_users', ${legacy.first}, 1)`))
    .rejects.toThrow(/read-only/);
  expect(await inLegacy(fresh)).toBe(0);

  // Rollback: every entry, old and new, is in call_queue, and reads come from it.
  const rolled = (await server.admin.data(`mutation { rollbackQueueMigration(reason: "drill") { ${STATUS} } }`)).rollbackQueueMigration;
  expect(rolled).toMatchObject({ phase: 'PRE_MIGRATION', flags: { readsFrom: 'LEGACY', writesSeparated: false } });
  const missing = await server.db.sql(`SELECT s.id FROM separated_entry_images s WHERE NOT EXISTS (SELECT 1 FROM call_queue q WHERE q.id = s.id)`);
  expect(missing).toEqual([]);
  expect((await server.db.sql(`SELECT status FROM call_queue WHERE id = $1`, [claimed.id]))[0]!.status).toBe('pending');
  const read = (await server.admin.data(`query($id: ID!) { queueEntry(id: $id) { id status } }`, { id: fresh })).queueEntry;
  expect(read).toEqual({ id: fresh, status: 'PENDING' });
  for (const c of rolled.counts) {
    expect(c.legacyLive).toBe(c.separatedLive);
  }
  const depthAfter = (await server.admin.data(`{ queue(type: UNSIGNED_USERS) { depth } }`)).queue.depth;
  expect(depthAfter).toBe(rolled.counts.find((c: { queueType: string }) => c.queueType === 'UNSIGNED_USERS').legacyLive
    - (await count('call_queue', `queue_type = 'unsigned_users' AND status = 'assigned'`)));
  // After the rollback, writes reach legacy only (PRE_MIGRATION).
  const after = await enqueue();
  expect([await inLegacy(after), await inSeparated(after)]).toEqual([1, 0]);

  const history = (await server.admin.data(`{ migrationStatus { history(last: 20) { from to actor reason } lastRuns(last: 10) { kind status } } }`)).migrationStatus;
  expect(history.history.map((h: { to: string }) => h.to).slice(0, 7)).toEqual(
    ['PRE_MIGRATION', 'LEGACY_DEPRECATED', 'NEW_ONLY', 'READ_NEW', 'BACKFILLED', 'DUAL_WRITE', 'PRE_MIGRATION']);
  expect(history.history[0]).toMatchObject({ from: 'LEGACY_DEPRECATED', reason: 'rollback: drill' });
  expect(history.lastRuns.map((r: { kind: string }) => r.kind)).toEqual(['ROLLBACK', 'VALIDATE', 'APPLY']);
});
