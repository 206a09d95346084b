import { createOrm, migrateUp, pendingMigrations } from '../../src/db/orm.js';
import { migrationsList } from '../../migrations/index.js';
import { createTestDatabase } from '../support/database.js';

/** Every migration has a working down(): all the way down and up again on real Postgres. */
it('migrates up from nothing, down to nothing, and up again', async () => {
  const db = await createTestDatabase({ template: null });
  const orm = await createOrm({ url: db.url, poolSize: 2 });
  try {
    expect(await migrateUp(orm)).toEqual(migrationsList.map((m) => m.name));
    const tables = async () => (await db.sql(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'mikro_orm_migrations' ORDER BY 1`)).map((r) => r.tablename);
    expect(await tables()).toEqual(expect.arrayContaining([
      'agents', 'api_keys', 'call_queue', 'call_requests', 'call_sessions', 'callbacks', 'campaigns', 'claim_requirements',
      'claimants', 'conversions', 'migration_runs', 'migration_state', 'outstanding_requests_queue', 'queue_population_runs',
      'queue_transitions', 'unsigned_users_queue', 'user_call_scores']));
    // A fresh install with an empty call_queue has nothing to migrate.
    expect((await db.sql('SELECT phase FROM migration_state'))[0]!.phase).toBe('NEW_ONLY');

    await orm.getMigrator().down({ to: 0 });
    expect(await tables()).toEqual([]);
    expect(await pendingMigrations(orm)).toHaveLength(migrationsList.length);

    await migrateUp(orm);
    expect(await pendingMigrations(orm)).toEqual([]);
  } finally {
    await orm.close(true);
    await db.drop();
  }
});

it('starts in PRE_MIGRATION when legacy rows exist before the separated queues arrive', async () => {
  const db = await createTestDatabase({ template: null });
  const orm = await createOrm({ url: db.url, poolSize: 2 });
  try {
    await orm.getMigrator().up({ to: migrationsList[1]!.name });
    await db.sql(`INSERT INTO call_queue (queue_type, user_id, priority_score) VALUES ('unsigned_users', 1, 5)`);
    await migrateUp(orm);
    expect((await db.sql('SELECT phase FROM migration_state'))[0]!.phase).toBe('PRE_MIGRATION');
  } finally {
    await orm.close(true);
    await db.drop();
  }
});
