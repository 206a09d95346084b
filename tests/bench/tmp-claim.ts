import pg from 'pg';
import { startBenchDatabase, startServerProcess } from './harness.js';
import { seedClaims, resetQueue } from './claims.bench.js';
const db = await startBenchDatabase();
const url = await db.createDatabase('probe_claim');
const app = await startServerProcess(url, { ADMIN_API_KEY: 'bench-admin-key-0123456789', REPOPULATE_CRON: '' });
await app.stop();
const c = new pg.Client({ connectionString: url });
await c.connect();
await seedClaims(c);
const clients = await Promise.all(Array.from({ length: 16 }, async () => { const x = new pg.Client({ connectionString: url, application_name: 'claimer' }); await x.connect(); return x; }));
const s = new pg.Client({ connectionString: url }); await s.connect();
const run = async (label: string, text: string) => runWith(label, async (x, w) => { await x.query(text, [w]); });
const runWith = async (label: string, step: (x: pg.Client, w: number) => Promise<void>) => {
  await resetQueue(c);
  const waits = new Map<string, number>();
  let going = true; let done = 0; let samples = 0;
  const sampler = (async () => { while (going) {
    const { rows } = await s.query(`SELECT coalesce(wait_event_type || ':' || wait_event, 'on CPU') AS w FROM pg_stat_activity WHERE application_name = 'claimer' AND state = 'active'`);
    samples += 1;
    for (const r of rows) waits.set(r.w, (waits.get(r.w) ?? 0) + 1);
    await new Promise((r) => setTimeout(r, 3)); } })();
  const t0 = performance.now();
  await Promise.all(clients.map(async (x, w) => { while (performance.now() - t0 < 8000) { await step(x, w + 1); done += 1; } }));
  going = false; await sampler;
  console.log(label, (done / ((performance.now() - t0) / 1000)).toFixed(0), '/s; active backends per sample by wait:', [...waits.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k} ${(v / samples).toFixed(2)}`).join(', '));
};
await run('function', `SELECT callqueue_claim($1, 'unsigned_users', 'bench', 100000, 20, 15, 900, 0, 1439, 3)`);
const held = async (x: pg.Client, w: number) => {
  const { rows } = await x.query(`SELECT w.result, callqueue_outbox_take() AS held FROM (SELECT callqueue_claim($1, 'unsigned_users', 'bench', 100000, 20, 15, 900, 0, 1439, 3) AS result FROM callqueue_outbox_open() OFFSET 0) w`, [w]);
  if (rows[0].held.length) await x.query(`SELECT set_config('synchronous_commit', 'off', true), (SELECT count(pg_notify('callqueue_events', n)) FROM unnest($1::text[]) n) AS sent`, [rows[0].held]);
};
(globalThis as any).heldRun = held;
await runWith('function, notified after commit', held);
await run('function', `SELECT callqueue_claim($1, 'unsigned_users', 'bench', 100000, 20, 15, 900, 0, 1439, 3)`);
await runWith('function, notified after commit', held);
for (const x of [...clients, s, c]) await x.end();
await db.stop();
