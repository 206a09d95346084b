import pg from 'pg';
import { startBenchDatabase, startServerProcess } from './harness.js';

const db = await startBenchDatabase();
const url = await db.createDatabase('probe');
const app = await startServerProcess(url, { ADMIN_API_KEY: 'bench-admin-key-0123456789', REPOPULATE_CRON: '' });
await app.stop();
const c = new pg.Client({ connectionString: url });
await c.connect();
await c.query(`INSERT INTO claimants (user_id, claim_id, timezone, signature_status, signature_missing_since, signature_type)
  SELECT g, 'C' || g, 'UTC', 'missing', now() - make_interval(hours => g % 900), 'initial' FROM generate_series(1, 200000) g`);
await c.query('VACUUM ANALYZE');
const { rows: triggers } = await c.query(`SELECT tgname FROM pg_trigger WHERE tgrelid = 'unsigned_users_queue'::regclass AND NOT tgisinternal`);
console.log(triggers.map((t) => t.tgname).join(', '));
const insert = `INSERT INTO unsigned_users_queue (user_id, claim_id, priority_score, enqueued_at, signature_missing_since, signature_type, urgent_signature)
  SELECT g, 'C' || g, g % 9999, now(), now(), 'initial', false FROM generate_series(1, 100000) g`;
async function timed(label: string, setup: string[]) {
  await c.query('BEGIN');
  for (const s of setup) await c.query(s);
  const t0 = performance.now();
  await c.query(insert);
  const ms = performance.now() - t0;
  await c.query('ROLLBACK');
  console.log(`${label}: ${ms.toFixed(0)} ms`);
}
for (let i = 0; i < 2; i += 1) {
  await timed('all triggers', []);
  await timed('no triggers (replica)', ['SET LOCAL session_replication_role = replica']);
  for (const t of triggers) await timed(`without ${t.tgname}`, [`ALTER TABLE unsigned_users_queue DISABLE TRIGGER ${t.tgname}`]);
}
await c.end();
await db.stop();
