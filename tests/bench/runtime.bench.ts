import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import pg from 'pg';
import { AGENTS, CLAIM, drive, resetQueue, seedClaims } from './claims.bench.js';
import { DASHBOARD, seedDashboard } from './dashboard.bench.js';
import { gqlRequest, percentile, startServerProcess, timeEach, type BenchDatabase, type SuiteResult } from './harness.js';
import { scenario } from './subscriptions.bench.js';

/**
 * The same service on the old runtime (the machine's Node.js 20, end of life 2026-04-30) and on
 * the new one (Node.js 26, installed by npm ci), in one run: claims/s, the dashboard query's
 * p50 and subscription latency. The servers run the same build (`dist/src/boot.js`: the entry
 * point's version check would stop Node 20, by design).
 */
const KEY = 'bench-admin-key-0123456789';
const SECONDS = 10;

function oldNode(): { path: string; version: string } | null {
  const candidate = process.env.BENCH_OLD_NODE ?? '/usr/bin/node';
  if (!fs.existsSync(candidate)) return null;
  const version = execFileSync(candidate, ['--version']).toString().trim();
  return version.startsWith('v20.') ? { path: candidate, version } : null;
}

interface Figures { claims: number; dashboardP50: number; subscriptionsP99: number; delivered: string }

/** A fresh database, a raw client and `servers` server processes on `runtime`, for `run`; all stopped after. */
async function withServers<T>(
  db: BenchDatabase, name: string, servers: number, runtime: { node: string; entry: string }, env: Record<string, string>,
  run: (client: pg.Client, instances: Awaited<ReturnType<typeof startServerProcess>>[], url: string) => Promise<T>,
): Promise<T> {
  const url = await db.createDatabase(name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const instances = [];
  try {
    for (let i = 0; i < servers; i += 1) instances.push(await startServerProcess(url, env, [], runtime));
    return await run(client, instances, url);
  } finally {
    await Promise.all(instances.map((i) => i.stop()));
    await client.end();
  }
}

async function measure(db: BenchDatabase, node: string, tag: string): Promise<Figures> {
  const runtime = { node, entry: 'dist/src/boot.js' };
  const env = { ADMIN_API_KEY: KEY, REPOPULATE_CRON: '', DB_POOL_SIZE: String(AGENTS), MAX_ASSIGNED_PER_AGENT: '100000',
    CALLING_WINDOW_START: '00:00', CALLING_WINDOW_END: '23:59' };
  const claims = await withServers(db, `bench_runtime_claims_${tag}`, 1, runtime, env, async (client, [app]) => {
    await seedClaims(client);
    await resetQueue(client);
    const run = await drive(AGENTS, SECONDS, async (w) => { await gqlRequest(app!.url, KEY, CLAIM, { a: String(w + 1) }); });
    return run.ops / run.seconds;
  });
  const dashboardP50 = await withServers(db, `bench_runtime_board_${tag}`, 1, runtime, env, async (client, [app]) => {
    await seedDashboard(client);
    return percentile(await timeEach(200, 30, () => gqlRequest(app!.url, KEY, DASHBOARD)), 50);
  });
  const subscriptions = await withServers(db, `bench_runtime_subs_${tag}`, 2, runtime, env, async (client, instances, url) => {
    await client.query(`INSERT INTO claimants (user_id, claim_id, timezone) SELECT g, 'C' || g, 'UTC' FROM generate_series(1, 1000) g`);
    await client.query(`INSERT INTO user_call_scores (user_id, current_score, current_queue_type) SELECT g, g % 9000, 'unsigned_users' FROM generate_series(1, 1000) g`);
    return scenario(url, instances, 100, SECONDS, 1);
  });
  return { claims, dashboardP50, subscriptionsP99: subscriptions.p99, delivered: `${subscriptions.delivered} of ${subscriptions.expected}` };
}

export async function runtimeSuite(db: BenchDatabase): Promise<SuiteResult> {
  const old = oldNode();
  const name = 'Runtime: Node.js 20 (end of life) and Node.js 26 LTS, the same build';
  if (!old) {
    return { name, rows: [], ratioLine: 'runtime: no Node.js 20 found (set BENCH_OLD_NODE): skipped',
      notes: ['No Node.js 20 binary on this machine (BENCH_OLD_NODE or /usr/bin/node): nothing to compare.'] };
  }
  const before = await measure(db, old.path, 'old');
  const after = await measure(db, process.execPath, 'new');
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  return {
    name,
    rows: [
      [`GraphQL claims/s (16 agents, ${SECONDS} s): Node ${process.version} vs ${old.version}`, after.claims.toFixed(0), before.claims.toFixed(0), ratio(after.claims, before.claims), '≥ 1.0 (higher is better)'],
      ['dashboard query p50 (both queues, 100 entries each)', `${after.dashboardP50.toFixed(1)} ms`, `${before.dashboardP50.toFixed(1)} ms`, ratio(after.dashboardP50, before.dashboardP50), '≤ 1.0 (lower is better)'],
      [`subscriptions p99, 100 subscribers on 2 instances, 50 changes/s for ${SECONDS} s`, `${after.subscriptionsP99.toFixed(0)} ms (${after.delivered})`,
        `${before.subscriptionsP99.toFixed(0)} ms (${before.delivered})`, ratio(after.subscriptionsP99, before.subscriptionsP99), '≤ 1.0 (lower is better)'],
    ],
    ratioLine: `runtime: Node 26 ÷ Node 20 — claims ${ratio(after.claims, before.claims)}, dashboard p50 ${ratio(after.dashboardP50, before.dashboardP50)}, subscriptions p99 ${ratio(after.subscriptionsP99, before.subscriptionsP99)}`,
    notes: [
      `Old: ${old.path} (${old.version}); new: ${process.execPath} (${process.version}). Each figure's databases, data and server settings are the same; Node 20 runs first.`,
    ],
  };
}
