import { createOrm, migrateUp } from '../../src/db/orm.js';
import { migrationsList } from '../../migrations/index.js';
import { createTestDatabase } from '../support/database.js';

/**
 * The "safe scoring system upgrade" (migration 0002) and everything after it, over legacy data:
 * thousands of call_queue rows of all three legacy types with scores, migrated up and down.
 */
it('keeps every row and score through the upgrade, converts legacy callbacks, and comes back to the legacy shape', async () => {
  const db = await createTestDatabase({ template: null });
  const orm = await createOrm({ url: db.url, poolSize: 2 });
  try {
    await orm.getMigrator().up({ to: migrationsList[0]!.name });
    const legacyColumns = async () => (await db.sql(`SELECT column_name FROM information_schema.columns
      WHERE table_name = $1 ORDER BY ordinal_position`, ['call_queue'])).map((r) => r.column_name);
    const shape = await legacyColumns();

    await db.sql(`INSERT INTO claimants (user_id, claim_id) SELECT g, 'CLM-' || g FROM generate_series(1, 4000) g`);
    await db.sql(`INSERT INTO user_call_scores (user_id, current_score, total_attempts, created_at)
                  SELECT g, (g * 7919) % 10000, g % 7, now() - make_interval(days => g % 90) FROM generate_series(1, 4000) g`);
    await db.sql(`INSERT INTO call_queue (queue_type, user_id, claim_id, priority_score, status, available_from)
                  SELECT (ARRAY['unsigned_users', 'outstanding_requests', 'callback'])[1 + g % 3], 1 + g % 4000, 'CLM-' || (1 + g % 4000),
                         (g * 31) % 10000, (ARRAY['pending', 'pending', 'completed', 'removed'])[1 + g % 4],
                         now() + make_interval(mins => g % 600)
                    FROM generate_series(0, 5999) g`);
    const scores = async () => db.sql(`SELECT md5(string_agg(user_id || ':' || current_score || ':' || total_attempts, ',' ORDER BY user_id)) AS h,
                                              count(*)::int AS n FROM user_call_scores`);
    const byType = async () => db.sql(`SELECT queue_type, status, count(*)::int AS n FROM call_queue GROUP BY 1, 2 ORDER BY 1, 2`);
    const scoresBefore = await scores();
    const typesBefore = await byType();
    const callbacksBefore = typesBefore.filter((r) => r.queue_type === 'callback').reduce((n, r) => n + r.n, 0);
    expect(callbacksBefore).toBe(2000);
    const withPending = (await db.sql(`SELECT count(DISTINCT user_id)::int AS n FROM call_queue WHERE status = 'pending'`))[0]!.n;
    expect(withPending).toBeGreaterThan(1000);

    await migrateUp(orm);
    expect(await scores()).toEqual(scoresBefore);
    expect((await db.sql(`SELECT count(*)::int AS n FROM call_queue`))[0]!.n).toBe(6000);
    expect((await db.sql(`SELECT count(*)::int AS n FROM call_queue WHERE queue_type = 'callback'`))[0]!.n).toBe(0);
    const converted = await db.sql(`SELECT count(*)::int AS n,
        count(*) FILTER (WHERE callback_scheduled_for = available_from AND callback_reason IS NOT NULL AND queue_type = 'outstanding_requests')::int AS filled
      FROM call_queue WHERE migrated_from_callback`);
    expect(converted[0]).toEqual({ n: 2000, filled: 2000 });
    // The score back-fill: safe defaults, the queue of the best pending legacy row.
    const filled = await db.sql(`SELECT count(*) FILTER (WHERE is_active)::int AS active,
        count(*) FILTER (WHERE last_reset_date = created_at::date)::int AS reset, count(current_queue_type)::int AS typed
      FROM user_call_scores`);
    expect(filled[0]).toEqual({ active: 4000, reset: 4000, typed: withPending });
    expect((await db.sql(`SELECT phase FROM migration_state`))[0]!.phase).toBe('PRE_MIGRATION');
    expect((await db.sql(`SELECT count(*)::int AS n FROM call_queue WHERE enqueued_at IS NULL OR claim_id IS NULL`))[0]!.n).toBe(0);

    // down's `to` is inclusive: everything after 0001 is reverted.
    await orm.getMigrator().down({ to: migrationsList[1]!.name });
    expect(await legacyColumns()).toEqual(shape);
    expect(await byType()).toEqual(typesBefore);
    expect(await scores()).toEqual(scoresBefore);
    // The legacy identity still numbers new rows after the highest id.
    const [row] = await db.sql(`INSERT INTO call_queue (queue_type, user_id, priority_score) VALUES ('callback', 1, 5) RETURNING id`);
    expect(Number(row!.id)).toBeGreaterThan(6000);
  } finally {
    await orm.close(true);
    await db.drop();
  }
});
