import pg from 'pg';
import { percentile, startServerProcess, type BenchDatabase, type SuiteResult, gqlRequest } from './harness.js';
import { graphileWorkerRate, pgBossRate } from './peers.js';

/**
 * Claims over a 100,000-entry queue with 16 concurrent agents:
 *  - GraphQL assignNextUser (HTTP, auth, live checks, events) vs the bare claim statement run
 *    through `pg` at the same concurrency (the baseline: the fastest a claim can be here);
 *  - claim + recordCallOutcome per second;
 *  - with --long, claim + release for 5 minutes: the drop between the first and last minute
 *    (dead index entries at the head of the claim index are what would make it fall).
 */
const ENTRIES = 100_000;
export const AGENTS = 16;
const KEY = 'bench-admin-key-0123456789';

const RAW_CLAIM = `UPDATE unsigned_users_queue SET status = 'assigned', assigned_to_agent_id = $1, assigned_at = now()
  WHERE id = (SELECT id FROM unsigned_users_queue WHERE status = 'pending' AND available_from <= now()
              ORDER BY priority_score DESC, available_from, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id`;

/**
 * 100,000 pending entries of claimants whose local time is midday, and the agents; shared with
 * the console suite. `legacy`: the same entries in the single call_queue of an install still in
 * PRE_MIGRATION.
 */
export async function seedClaims(client: pg.Client, store: 'separated' | 'legacy' = 'separated'): Promise<void> {
  // Every claimant's local time is midday, so the calling window never defers anyone.
  const zone = (() => {
    let offset = (12 - new Date().getUTCHours() + 48) % 24;
    if (offset > 14) offset -= 24;
    return offset === 0 ? 'Etc/UTC' : offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
  })();
  await client.query(`INSERT INTO agents (name, email) SELECT 'Agent ' || g, 'a' || g || '@bench' FROM generate_series(1, ${AGENTS}) g`);
  await client.query(`INSERT INTO claimants (user_id, claim_id, timezone) SELECT g, 'C' || g, $1 FROM generate_series(1, ${ENTRIES}) g`, [zone]);
  await client.query(`INSERT INTO user_call_scores (user_id, current_score, current_queue_type) SELECT g, (g * 7919) % 9999, 'unsigned_users' FROM generate_series(1, ${ENTRIES}) g`);
  if (store === 'legacy') await client.query(`UPDATE migration_state SET phase = 'PRE_MIGRATION', reason = 'benchmark of the legacy queue'`);
  await client.query(`INSERT INTO ${store === 'legacy' ? 'call_queue (queue_type, ' : 'unsigned_users_queue ('}user_id, claim_id, priority_score, available_from)
    SELECT ${store === 'legacy' ? `'unsigned_users', ` : ''}g, 'C' || g, (g * 7919) % 9999, now() - interval '1 hour' FROM generate_series(1, ${ENTRIES}) g`);
  await client.query('VACUUM ANALYZE');
}

export async function resetQueue(client: pg.Client, table = 'unsigned_users_queue'): Promise<void> {
  await client.query(`UPDATE ${table} SET status = 'pending', assigned_to_agent_id = NULL, assigned_at = NULL,
    closed_at = NULL, closed_reason = NULL WHERE status <> 'pending'`);
  await client.query(`DELETE FROM call_sessions`);
  await client.query(`UPDATE user_call_scores SET total_attempts = 0, attempts_today = 0, next_call_after = NULL, last_outcome = NULL`);
  await client.query('VACUUM ANALYZE');
}

export interface Run { ops: number; seconds: number; latencies: number[]; perMinute: number[] }

/** `workers` loops calling `step` until `seconds` pass; per-op latency and per-minute counts. */
export async function drive(workers: number, seconds: number, step: (worker: number) => Promise<void>): Promise<Run> {
  const latencies: number[] = [];
  const perMinute: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(Array.from({ length: workers }, async (_, worker) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await step(worker);
      const t1 = performance.now();
      latencies.push(t1 - t0);
      const minute = Math.floor((t1 - start) / 60_000);
      perMinute[minute] = (perMinute[minute] ?? 0) + 1;
    }
  }));
  return { ops: latencies.length, seconds: (performance.now() - start) / 1000, latencies: latencies.sort((a, b) => a - b), perMinute };
}

const gql = (app: { url: string }, query: string, variables: Record<string, unknown>) => gqlRequest(app.url, KEY, query, variables);

export const CLAIM = `mutation($a: ID!) { assignNextUser(agentId: $a, queueType: UNSIGNED_USERS) { id } }`;
const ANSWERED = `mutation($e: ID!) { recordCallOutcome(input: { entryId: $e, outcome: ANSWERED }) { entry { id } } }`;
const RELEASE = `mutation($e: ID!) { releaseEntry(entryId: $e) { id } }`;

/** The service on `url`, set for claims (any hour, as many held as there are entries), and an admin connection. */
async function startClaimsServer(url: string) {
  const app = await startServerProcess(url, {
    REPOPULATE_CRON: '', ADMIN_API_KEY: KEY, DB_POOL_SIZE: String(AGENTS), MAX_ASSIGNED_PER_AGENT: String(ENTRIES),
    CALLING_WINDOW_START: '00:00', CALLING_WINDOW_END: '23:59',
  });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  return { app, admin };
}

/** GraphQL claims/s over the same 100,000 claimants kept in the legacy call_queue (PRE_MIGRATION), on a database of their own. */
async function legacyClaims(db: BenchDatabase, seconds: number): Promise<Run> {
  const url = await db.createDatabase('bench_claims_legacy');
  const { app, admin } = await startClaimsServer(url);
  try {
    await seedClaims(admin, 'legacy');
    await drive(AGENTS, 5, async (w) => { await gql(app, CLAIM, { a: String(w + 1) }); });
    await resetQueue(admin, 'call_queue');
    return await drive(AGENTS, seconds, async (w) => { await gql(app, CLAIM, { a: String(w + 1) }); });
  } finally {
    await admin.end();
    await app.stop();
  }
}

export async function claimsSuite(db: BenchDatabase, options: { long: boolean; seconds: number }): Promise<SuiteResult> {
  const url = await db.createDatabase('bench_claims');
  const { app, admin } = await startClaimsServer(url);
  const clients = await Promise.all(Array.from({ length: AGENTS }, async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    return c;
  }));
  try {
    await seedClaims(admin);
    const raw = await drive(AGENTS, options.seconds, async (w) => {
      await clients[w]!.query(RAW_CLAIM, [w + 1]);
    });
    // The database's share: the claim function alone, through pg at the same concurrency.
    await resetQueue(admin);
    // As the service sends it: the claim with its notification held, then sent after the commit
    // (held-events.sql.ts), two statements.
    const functionOnly = await drive(AGENTS, options.seconds, async (w) => {
      const { rows } = await clients[w]!.query(`SELECT callqueue_outbox_take() AS held
        FROM (SELECT callqueue_claim($1, 'unsigned_users', 'bench', ${ENTRIES}, 20, 15, 900, 0, 1439, 3) FROM callqueue_outbox_open() OFFSET 0) w`, [w + 1]);
      await clients[w]!.query(`SELECT set_config('synchronous_commit', 'off', true), (SELECT count(pg_notify('callqueue_events', n)) FROM unnest($1::text[]) n)`, [rows[0].held]);
    });
    await resetQueue(admin);
    // A few seconds unmeasured first: the server's first claims pay for its JIT warm-up, which
    // would otherwise count against whichever phase comes first.
    await drive(AGENTS, 5, async (w) => { await gql(app, CLAIM, { a: String(w + 1) }); });
    await resetQueue(admin);
    const claims = await drive(AGENTS, options.seconds, async (w) => {
      await gql(app, CLAIM, { a: String(w + 1) });
    });
    // The event log's cost: the same claims with its rows suppressed (a BEFORE INSERT trigger
    // returning NULL), each still sending its notification after the commit (the trigger hands
    // one to the claim's outbox: without a row the statement would send none, a cost the log did
    // not add).
    await resetQueue(admin);
    await admin.query(`CREATE FUNCTION bench_skip_log() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM callqueue_send(json_build_object('topic', 'logged', 'at', now())::text); RETURN NULL; END $$`);
    await admin.query(`CREATE TRIGGER bench_skip_log BEFORE INSERT ON event_log FOR EACH ROW EXECUTE FUNCTION bench_skip_log()`);
    const unlogged = await drive(AGENTS, options.seconds, async (w) => {
      await gql(app, CLAIM, { a: String(w + 1) });
    });
    await admin.query(`DROP TRIGGER bench_skip_log ON event_log; DROP FUNCTION bench_skip_log()`);
    await resetQueue(admin);
    const cycles = await drive(AGENTS, options.seconds, async (w) => {
      const { assignNextUser } = await gql(app, CLAIM, { a: String(w + 1) });
      if (assignNextUser) await gql(app, ANSWERED, { e: assignNextUser.id });
    });
    const legacy = await legacyClaims(db, options.seconds);
    const graphile = await graphileWorkerRate(db, options.seconds);
    const boss = await pgBossRate(db, options.seconds, 100);
    const bossOneByOne = await pgBossRate(db, options.seconds, 1);
    const rate = (r: Run) => r.ops / r.seconds;
    const ratio = rate(claims) / rate(raw);
    const rows: SuiteResult['rows'] = [
      ['GraphQL claims/s (16 agents)', rate(claims).toFixed(0), `${rate(raw).toFixed(0)} raw SQL claims/s`, `${ratio.toFixed(2)}`, '≥ 0.5'],
      ['  callqueue_claim alone through pg, notified after its commit (the database\'s share of a GraphQL claim)', rate(functionOnly).toFixed(0),
        `${rate(raw).toFixed(0)} raw SQL claims/s`, (rate(functionOnly) / rate(raw)).toFixed(2), '—'],
      ['GraphQL claims/s with the queues in their own tables (NEW_ONLY) ÷ in the legacy call_queue (PRE_MIGRATION), same claimants', rate(claims).toFixed(0),
        `${rate(legacy).toFixed(0)} claims/s`, (rate(claims) / rate(legacy)).toFixed(2), '≥ 1.4'],
      ['claim p50 / p99', `${percentile(claims.latencies, 50).toFixed(1)} / ${percentile(claims.latencies, 99).toFixed(1)} ms`,
        `${percentile(raw.latencies, 50).toFixed(1)} / ${percentile(raw.latencies, 99).toFixed(1)} ms`, '—', '—'],
      ['GraphQL claims/s with the event log ÷ without its rows (each still notifies after its commit)', rate(claims).toFixed(0),
        `${rate(unlogged).toFixed(0)} claims/s`, `${(rate(claims) / rate(unlogged)).toFixed(2)} (${((1 - rate(claims) / rate(unlogged)) * 100).toFixed(1)} % drop)`, '≥ 0.90'],
      ['claim + recordCallOutcome cycles/s ÷ graphile-worker 0.17 (no-op job, fetch + complete)', rate(cycles).toFixed(0),
        `${graphile.toFixed(0)} jobs/s`, (rate(cycles) / graphile).toFixed(2), '≥ 1.0'],
      ['claim + recordCallOutcome cycles/s ÷ pg-boss 10 (fetch 100, priority: false, complete 100; 50k backlog)', rate(cycles).toFixed(0),
        `${boss.toFixed(0)} jobs/s`, (rate(cycles) / boss).toFixed(2), '≥ 10'],
      ['  the same ÷ pg-boss 10 one job per fetch (each fetch sorts the backlog: no index serves its order)', rate(cycles).toFixed(0),
        `${bossOneByOne.toFixed(0)} jobs/s`, (rate(cycles) / bossOneByOne).toFixed(2), '—'],
    ];
    if (options.long) {
      await resetQueue(admin);
      const long = await drive(AGENTS, 300, async (w) => {
        const { assignNextUser } = await gql(app, CLAIM, { a: String(w + 1) });
        if (assignNextUser) await gql(app, RELEASE, { e: assignNextUser.id });
      });
      const first = long.perMinute[0] ?? 0;
      const last = long.perMinute[4] ?? 0;
      const drop = (1 - last / first) * 100;
      rows.push(['5-minute claim+release: first → last minute', `${first} → ${last}`, `${first}`,
        drop > 0 ? `${drop.toFixed(1)} % drop` : `no drop (+${(-drop).toFixed(1)} %)`, '≤ 20 %']);
    }
    return {
      name: `Claims: ${ENTRIES.toLocaleString('en')} pending entries, ${AGENTS} concurrent agents`,
      rows,
      ratioLine: `claims: GraphQL ${rate(claims).toFixed(0)}/s ÷ raw SQL ${rate(raw).toFixed(0)}/s = ${ratio.toFixed(2)} (goal ≥ 0.5)`,
      notes: [
        `${options.seconds} s per phase${options.long ? '; the 5-minute drift run with --long' : ' (run `npm run bench -- --long` for the 5-minute drift)'}.`,
        'The server runs in its own process (as `npm start`); clients, server and PostgreSQL share the 2 cores; the raw baseline is one UPDATE … SKIP LOCKED per claim on 16 open connections, without live checks, agent lock, events or HTTP.',
      ],
    };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    await admin.end();
    await app.stop();
  }
}
