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

async function measure(db: BenchDatabase, node: string, tag: string): Promise<Figures> {
  const runtime = { node, entry: 'dist/src/boot.js' };
  const env = { ADMIN_API_KEY: KEY, REPOPULATE_CRON: '', DB_POOL_SIZE: String(AGENTS), MAX_ASSIGNED_PER_AGENT: '100000',
    CALLING_WINDOW_START: '00:00', CALLING_WINDOW_END: '23:59' };

  const claimsUrl = await db.createDatabase(`bench_runtime_claims_${tag}`);
  const claimsClient = new pg.Client({ connectionString: claimsUrl });
  await claimsClient.connect();
  const claimsApp = await startServerProcess(claimsUrl, env, [], runtime);
  let claims: number;
  try {
    await seedClaims(claimsClient);
    await resetQueue(claimsClient);
    const run = await drive(AGENTS, SECONDS, async (w) => { await gqlRequest(claimsApp.url, KEY, CLAIM, { a: String(w + 1) }); });
    claims = run.ops / run.seconds;
  } finally {
    await claimsApp.stop();
    await claimsClient.end();
  }

  const boardUrl = await db.createDatabase(`bench_runtime_board_${tag}`);
  const boardClient = new pg.Client({ connectionString: boardUrl });
  await boardClient.connect();
  const boardApp = await startServerProcess(boardUrl, env, [], runtime);
  let dashboardP50: number;
  try {
    await seedDashboard(boardClient);
    dashboardP50 = percentile(await timeEach(200, 30, () => gqlRequest(boardApp.url, KEY, DASHBOARD)), 50);
  } finally {
    await boardApp.stop();
    await boardClient.end();
  }

  const subsUrl = await db.createDatabase(`bench_runtime_subs_${tag}`);
  const subsClient = new pg.Client({ connectionString: subsUrl });
  await subsClient.connect();
  const instances = [await startServerProcess(subsUrl, env, [], runtime), await startServerProcess(subsUrl, env, [], runtime)];
  try {
    await subsClient.query(`INSERT INTO claimants (user_id, claim_id, timezone) SELECT g, 'C' || g, 'UTC' FROM generate_series(1, 1000) g`);
    await subsClient.query(`INSERT INTO user_call_scores (user_id, current_score, current_queue_type) SELECT g, g % 9000, 'unsigned_users' FROM generate_series(1, 1000) g`);
    const s = await scenario(subsUrl, instances, 100, SECONDS, 1);
    return { claims, dashboardP50, subscriptionsP99: s.p99, delivered: `${s.delivered} of ${s.expected}` };
  } finally {
    await subsClient.end();
    await Promise.all(instances.map((i) => i.stop()));
  }
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
