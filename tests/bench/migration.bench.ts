import pg from 'pg';
import { seedLegacy, startLegacyPhase } from '../support/legacy.js';
import { gqlRequest, startServerProcess, type BenchDatabase, type SuiteResult } from './harness.js';

/**
 * The legacy data migration at scale: 1,000,000 call_queue rows (400,000 live — unsigned,
 * outstanding and legacy callbacks — and 600,000 closed history rows).
 *  - baseline: the same rows copied by one plain `INSERT … SELECT` into the same tables
 *    (rolled back), in the same run;
 *  - applyQueueMigration (batches of BATCH rows, through the API) and validateQueueMigration;
 *  - rows lost or duplicated, counted by id on both sides.
 */
const LIVE_UNSIGNED = 250_000;
const LIVE_OUTSTANDING = 140_000;
const LIVE_CALLBACKS = 10_000;
const CLOSED = 600_000;
const BATCH = 20_000;
const KEY = 'bench-admin-key-0123456789';

export async function migrationSuite(db: BenchDatabase): Promise<SuiteResult> {
  const url = await db.createDatabase('bench_migration');
  // The server applies the schema migrations; the legacy rows are written after, as an old
  // application would have (the install is then put back in PRE_MIGRATION).
  const app = await startServerProcess(url, { ADMIN_API_KEY: KEY, REPOPULATE_CRON: '' });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const raw = { sql: async (text: string, params?: unknown[]) => (await client.query(text, params)).rows };
  try {
    const seeded = await seedLegacy(raw, { unsigned: LIVE_UNSIGNED, outstanding: LIVE_OUTSTANDING, callbacks: LIVE_CALLBACKS, closed: CLOSED, firstUserId: 1 });
    await startLegacyPhase(raw);
    await client.query('VACUUM ANALYZE');
    const gql = (query: string) => gqlRequest(app.url, KEY, query);
    await gql('mutation { setMigrationPhase(phase: DUAL_WRITE) { phase } }');

    // Baseline: one INSERT … SELECT per table of the mapped rows, rolled back.
    await client.query('BEGIN');
    const b0 = performance.now();
    for (const [table, extras] of [['unsigned_users_queue', 'signature_missing_since, signature_type, reminders_sent, urgent_signature'],
      ['outstanding_requests_queue', 'requirement_types, total_requirements, pending_requirements, escalation_level, document_deadline']] as const) {
      const columns = `id, user_id, claim_id, priority_score, status, assigned_to_agent_id, assigned_at, available_from, callback_id,
        callback_scheduled_for, callback_reason, enqueued_at, closed_at, closed_reason, created_at, updated_at, ${extras}`;
      await client.query(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM legacy_entry_images
        WHERE queue_type = '${table.replace('_queue', '')}' ORDER BY status IN ('pending', 'assigned'), id`);
    }
    const baseline = (performance.now() - b0) / 1000;
    await client.query('ROLLBACK');
    await client.query('VACUUM ANALYZE unsigned_users_queue, outstanding_requests_queue');

    const a0 = performance.now();
    const run = (await gql(`mutation { applyQueueMigration(batchSize: ${BATCH}, wait: true) { status error processedRows totalRows } }`)).applyQueueMigration;
    const apply = (performance.now() - a0) / 1000;
    if (run.status !== 'SUCCEEDED') throw new Error(`apply failed: ${run.error}`);
    const v0 = performance.now();
    const validation = (await gql('mutation { validateQueueMigration { passed mismatchCount unmapped } }')).validateQueueMigration;
    const validate = (performance.now() - v0) / 1000;
    const [sides] = (await client.query(`SELECT (SELECT count(*) FROM call_queue)::int AS legacy,
        (SELECT count(*) FROM separated_entry_images)::int AS separated,
        (SELECT count(*) FROM (SELECT id FROM separated_entry_images GROUP BY id HAVING count(*) > 1) d)::int AS duplicated,
        (SELECT count(*) FROM call_queue q WHERE NOT EXISTS (SELECT 1 FROM separated_entry_images s WHERE s.id = q.id))::int AS lost`)).rows;
    const s = (x: number) => `${x.toFixed(2)} s`;
    return {
      name: `Legacy migration: ${seeded.rows.toLocaleString('en')} call_queue rows`,
      rows: [
        [`applyQueueMigration (batches of ${BATCH.toLocaleString('en')}, conflicts + callbacks + copy)`, s(apply), s(baseline), `${(apply / baseline).toFixed(2)}× the plain copy`, '≤ 30 s'],
        ['validateQueueMigration (counts + per-row checksum, both sides)', s(validate), s(baseline), `${(validate / baseline).toFixed(2)}× the plain copy`, '≤ 10 s'],
        ['rows lost / duplicated', `${sides.lost} / ${sides.duplicated} (legacy ${sides.legacy}, separated ${sides.separated})`, '', '', '0 / 0'],
        ['validation', validation.passed ? `passed (${validation.mismatchCount} mismatches)` : `FAILED (${validation.mismatchCount} mismatches)`, '', '', 'passed'],
      ],
      ratioLine: `migration: apply ${s(apply)} (${(apply / baseline).toFixed(2)}× a plain INSERT…SELECT), validate ${s(validate)}, lost ${sides.lost}, duplicated ${sides.duplicated}`,
      notes: [
        `${(LIVE_UNSIGNED + LIVE_OUTSTANDING + LIVE_CALLBACKS).toLocaleString('en')} live rows (${LIVE_CALLBACKS.toLocaleString('en')} legacy callbacks, turned into callbacks by the apply) and ${CLOSED.toLocaleString('en')} closed ones; the baseline copies the same mapped rows into the same tables (same indexes and triggers) in one statement per table, rolled back.`,
        'The apply runs in DUAL_WRITE with the server as its own process; each batch is a transaction that share-locks its legacy rows, upserts them by id, and records progress.',
      ],
    };
  } finally {
    await client.end();
    await app.stop();
  }
}
