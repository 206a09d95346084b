import { seed } from '../support/seed.js';
import { seedLegacy, startLegacyPhase } from '../support/legacy.js';
import { createTestDatabase } from '../support/database.js';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../support/server.js';
import { startServerProcess } from '../support/server-process.js';
import { connect, untilSubscribed } from '../support/subscriber.js';

/** The migration under live traffic, across instances, and through a killed process. */
const ALL_DAY = { CALLING_WINDOW_START: '00:00', CALLING_WINDOW_END: '23:59', DB_POOL_SIZE: '20' };
const CLAIM = `mutation($a: ID!) { assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { id } }`;
const DONE = `mutation($e: ID!) { recordCallOutcome(input: { entryId: $e, outcome: ANSWERED }) { entry { status } } }`;
const phase = (server: TestServer, p: string) => server.admin.data(`mutation($p: MigrationPhase!) { setMigrationPhase(phase: $p) { phase } }`, { p });

describe('agents claiming while the phases advance', () => {
  let server: TestServer;
  beforeAll(async () => {
    const db = await createTestDatabase();
    await seedLegacy(db, { unsigned: 1500, outstanding: 200, callbacks: 0, closed: 500 });
    await startLegacyPhase(db);
    server = await startTestServer(ALL_DAY, db);
  });
  afterAll(() => server.close());

  it('never assigns an entry twice, and every completed call is in the store read at the end', async () => {
    const agents: number[] = [];
    for (let i = 0; i < 6; i += 1) agents.push(await seed(server.db).agent());
    const claimedBy = new Map<string, number[]>();
    let stop = false;
    const claiming = Promise.all(agents.map(async (agent) => {
      while (!stop) {
        const { assignNextUser } = await server.admin.data(CLAIM, { a: String(agent) });
        if (!assignNextUser) return;
        claimedBy.set(assignNextUser.id, [...(claimedBy.get(assignNextUser.id) ?? []), agent]);
        await server.admin.data(DONE, { e: assignNextUser.id });
      }
    }));
    const claimsSoFar = () => claimedBy.size;
    const progressed = async (from: number) => {
      while (claimsSoFar() < from + 10) await new Promise((r) => setTimeout(r, 20));
    };
    await progressed(0);
    await phase(server, 'DUAL_WRITE');
    await progressed(claimsSoFar());
    const run = (await server.admin.data(`mutation { applyQueueMigration(batchSize: 300, wait: true) { status error } }`)).applyQueueMigration;
    expect(run).toEqual({ status: 'SUCCEEDED', error: null });
    await progressed(claimsSoFar());
    const validation = (await server.admin.data(`mutation { validateQueueMigration { passed mismatchCount } }`)).validateQueueMigration;
    expect(validation).toEqual({ passed: true, mismatchCount: 0 });
    await phase(server, 'BACKFILLED');
    await phase(server, 'READ_NEW');
    await progressed(claimsSoFar());
    // READ_NEW still writes legacy: both sides agree under traffic.
    expect((await server.admin.data(`mutation { validateQueueMigration { passed } }`)).validateQueueMigration.passed).toBe(true);
    await phase(server, 'NEW_ONLY');
    await progressed(claimsSoFar());
    stop = true;
    await claiming;

    expect([...claimedBy.values()].filter((by) => by.length > 1)).toEqual([]);
    const claimed = [...claimedBy.keys()].map(Number);
    const completed = await server.db.sql(`SELECT count(*)::int AS n FROM unsigned_users_queue WHERE status = 'completed' AND id = ANY($1::bigint[])`, [claimed]);
    expect(completed[0]!.n).toBe(claimed.length);
    const sessions = await server.db.sql(`SELECT count(*)::int AS n, count(DISTINCT queue_entry_id)::int AS entries FROM call_sessions`);
    expect(sessions[0]).toEqual({ n: claimed.length, entries: claimed.length });
    expect(new Set([...claimedBy.values()].flat()).size).toBeGreaterThan(1);
  });
});

describe('several instances', () => {
  let server: TestServer;
  beforeAll(async () => {
    const db = await createTestDatabase();
    await seedLegacy(db, { unsigned: 50, outstanding: 50, callbacks: 5, closed: 10 });
    await startLegacyPhase(db);
    server = await startTestServer({ MIGRATION_PHASE_POLL_MS: '200' }, db);
  });
  afterAll(() => server.close());

  it('another instance follows a phase change within a poll interval', async () => {
    const other = await server.startAnother();
    const phaseOn = async (url: string) => {
      const metrics = await (await fetch(url.replace('/graphql', '/metrics'))).text();
      return /callqueue_migration_phase\{phase="(\w+)"\} 1/.exec(metrics)?.[1];
    };
    expect(await phaseOn(other.url)).toBe('PRE_MIGRATION');
    await phase(server, 'DUAL_WRITE');
    const changed = Date.now();
    while ((await phaseOn(other.url)) !== 'DUAL_WRITE') {
      expect(Date.now() - changed).toBeLessThan(2000);
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('migrationProgress follows an apply batch by batch to its end, for ADMIN keys only', async () => {
    const viewerKey = (await server.admin.data(`mutation { createApiKey(role: VIEWER) { key } }`)).createApiKey.key;
    // A writer holding a legacy row in the middle keeps the apply from finishing before the
    // subscription is in place.
    const blocker = await server.db.connect();
    await blocker.query(`BEGIN`);
    await blocker.query(`SELECT id FROM call_queue ORDER BY id OFFSET 50 LIMIT 1 FOR UPDATE`);
    const run = (await server.admin.data(`mutation { applyQueueMigration(batchSize: 2) { id status } }`)).applyQueueMigration;
    const admin = connect(server.app.url, server.admin.key);
    const viewer = connect(server.app.url, viewerKey);
    try {
      const refused = await viewer.subscribe(`subscription($r: ID!) { migrationProgress(runId: $r) { id } }`, { r: run.id }).next();
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const stream = admin.subscribe(`subscription($r: ID!) { migrationProgress(runId: $r) { id status processedRows totalRows progress } }`, { r: run.id });
      await untilSubscribed(() => server.app.liveSubscriptions(), 1);
      await blocker.query(`COMMIT`);
      const seen: { status: string; processedRows: number; progress: number }[] = [];
      for (;;) {
        const { data } = await stream.next(10_000);
        seen.push(data.migrationProgress);
        if (data.migrationProgress.status !== 'RUNNING') break;
      }
      const last = seen[seen.length - 1]!;
      expect(last).toMatchObject({ status: 'SUCCEEDED', progress: 1 });
      expect(seen.length).toBeGreaterThan(1);
      const rows = seen.map((e) => e.processedRows);
      expect(rows).toEqual([...rows].sort((a, b) => a - b));
    } finally {
      await blocker.end();
      await admin.dispose();
      await viewer.dispose();
    }
  });

  it('READ_NEW serves a failed separated read from call_queue and counts it', async () => {
    await server.admin.data(`mutation { validateQueueMigration { passed } }`);
    await phase(server, 'BACKFILLED');
    await phase(server, 'READ_NEW');
    const QUERY = `{ queue(type: UNSIGNED_USERS) { depth entries(first: 100) { edges { node { id } } } } migrationStatus { readFallbacks } }`;
    const healthy = (await server.admin.data(QUERY));
    expect(healthy.migrationStatus.readFallbacks).toBe(0);
    await server.db.sql(`ALTER TABLE unsigned_users_queue RENAME TO unsigned_users_queue_away`);
    try {
      const degraded = await server.admin.data(QUERY);
      expect(degraded.queue).toEqual(healthy.queue);
      const after = (await server.admin.data(`{ migrationStatus { readFallbacks } }`)).migrationStatus;
      expect(after.readFallbacks).toBeGreaterThanOrEqual(1);
      const metrics = await (await fetch(server.app.url.replace('/graphql', '/metrics'))).text();
      expect(Number(/callqueue_migration_read_fallbacks_total (\d+)/.exec(metrics)![1])).toBeGreaterThanOrEqual(1);
    } finally {
      await server.db.sql(`ALTER TABLE unsigned_users_queue_away RENAME TO unsigned_users_queue`);
    }
  });
});

describe('an apply whose process is killed', () => {
  it('is resumed by the next apply, ending with exactly one separated entry per legacy row', async () => {
    const db = await createTestDatabase();
    const legacy = await seedLegacy(db, { unsigned: 8000, outstanding: 4000, callbacks: 20, closed: 3000, bothTypes: 5 });
    await startLegacyPhase(db);
    await db.sql(`UPDATE migration_state SET phase = 'DUAL_WRITE'`);
    await db.sql(`INSERT INTO migration_phase_changes (from_phase, to_phase, actor) VALUES ('PRE_MIGRATION', 'DUAL_WRITE', 'test')`);
    const child = await startServerProcess(db.url, { ADMIN_API_KEY: TEST_ADMIN_KEY, REPOPULATE_CRON: '' });
    const run = await fetch(child.url, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
      body: JSON.stringify({ query: 'mutation { applyQueueMigration(batchSize: 100) { id } }' }),
    }).then((r) => r.json()) as { data: { applyQueueMigration: { id: string } } };
    const runId = run.data.applyQueueMigration.id;
    for (;;) {
      const [row] = await db.sql(`SELECT processed_rows FROM migration_runs WHERE id = $1`, [runId]);
      if (row!.processed_rows >= 3000) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    process.kill(child.pid, 'SIGKILL');
    await child.stop();
    const [killed] = await db.sql(`SELECT status, processed_rows, total_rows FROM migration_runs WHERE id = $1`, [runId]);
    expect(killed!.status).toBe('running');
    expect(killed!.processed_rows).toBeLessThan(killed!.total_rows);

    const server = await startTestServer({}, db);
    try {
      const resumed = (await server.admin.data(`mutation { applyQueueMigration(batchSize: 1000, wait: true) {
          status resumedFrom processedRows totalRows } }`)).applyQueueMigration;
      expect(resumed).toMatchObject({ status: 'SUCCEEDED', resumedFrom: runId });
      expect(resumed.processedRows).toBe(resumed.totalRows);
      const [old] = await db.sql(`SELECT status, error FROM migration_runs WHERE id = $1`, [runId]);
      expect(old).toMatchObject({ status: 'failed', error: expect.stringMatching(/interrupted/) });
      // Exactly one separated entry per legacy row, by id, and nothing else.
      const [sides] = await db.sql(`SELECT (SELECT count(*) FROM call_queue)::int AS legacy,
          (SELECT count(*) FROM separated_entry_images)::int AS separated,
          (SELECT count(DISTINCT id) FROM separated_entry_images)::int AS distinct_ids,
          (SELECT count(*) FROM call_queue q WHERE NOT EXISTS (SELECT 1 FROM separated_entry_images s WHERE s.id = q.id))::int AS missing`);
      expect(sides).toEqual({ legacy: legacy.rows, separated: legacy.rows, distinct_ids: legacy.rows, missing: 0 });
      const live = await db.sql(`SELECT count(*)::int AS n FROM separated_entry_images WHERE status IN ('pending', 'assigned')`);
      expect(live[0]!.n).toBe(8000 + 4000 + 20);
      expect((await server.admin.data(`mutation { validateQueueMigration { passed } }`)).validateQueueMigration.passed).toBe(true);
    } finally {
      await server.close();
    }
  });
});
