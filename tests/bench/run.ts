import fs from 'node:fs';
import pg from 'pg';
import { claimsSuite } from './claims.bench.js';
import { consoleSuite } from './console.bench.js';
import { dashboardSuite } from './dashboard.bench.js';
import { linesSuite } from './lines.bench.js';
import { migrationSuite } from './migration.bench.js';
import { prioritiesSuite } from './priorities.bench.js';
import { repopulationSuite } from './repopulation.bench.js';
import { subscriptionsSuite } from './subscriptions.bench.js';
import { webhooksSuite } from './webhooks.bench.js';
import { runtimeSuite } from './runtime.bench.js';
import { floorSuite } from './floor.bench.js';
import { machineDescription, startBenchDatabase, type BenchDatabase, type SuiteResult } from './harness.js';

/**
 * npm run bench: runs every suite against one embedded PostgreSQL and writes BENCHMARKS.md.
 * Each suite measures its baseline in the same run, so figures are ratios on this machine.
 */
const long = process.argv.includes('--long');
type Suite = (db: BenchDatabase) => Promise<SuiteResult>;
const all: Record<string, Suite> = {
  dashboard: dashboardSuite,
  claims: (db) => claimsSuite(db, { long, seconds: 15 }),
  subscriptions: subscriptionsSuite,
  repopulation: repopulationSuite,
  lines: linesSuite,
  migration: migrationSuite,
  priorities: prioritiesSuite,
  console: consoleSuite,
  webhooks: webhooksSuite,
  runtime: runtimeSuite,
  floor: floorSuite,
};
// `npm run bench -- subscriptions claims` runs only those suites (all by default).
const chosen = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const suites = chosen.length ? chosen.map((name) => all[name] ?? (() => { throw new Error(`no suite ${name}; suites: ${Object.keys(all).join(', ')}`); })()) : Object.values(all);

/** Sections of the current BENCHMARKS.md, so running one suite keeps the others' figures. */
function previousSections(): [string, string[]][] {
  if (!fs.existsSync('BENCHMARKS.md')) return [];
  const text = fs.readFileSync('BENCHMARKS.md', 'utf8');
  return text.split(/^(?=## )/m).slice(1).map((block) => {
    const lines = block.replace(/\n+$/, '').split('\n');
    return [lines[0]!.slice(3), [...lines, '']];
  });
}

async function main(): Promise<void> {
  const db = await startBenchDatabase();
  const results: SuiteResult[] = [];
  let version = 'PostgreSQL';
  try {
    const client = new pg.Client({ connectionString: db.adminUrl });
    await client.connect();
    version = String((await client.query('SHOW server_version')).rows[0].server_version).replace(/^/, 'PostgreSQL ');
    await client.end();
    for (const suite of suites) {
      const result = await suite(db);
      results.push(result);
      process.stdout.write(`${result.ratioLine}\n`);
    }
  } finally {
    await db.stop();
  }
  const sections = new Map<string, string[]>(previousSections());
  for (const r of results) {
    sections.set(r.name, [`## ${r.name}`, '', `_measured ${new Date().toISOString().slice(0, 16)}Z_`, '',
      '| figure | callqueue | baseline | ratio | goal |', '|---|---|---|---|---|',
      ...r.rows.map((row) => `| ${row.join(' | ')} |`), '', ...(r.notes ?? []).map((n) => `- ${n}`), '']);
  }
  const lines = ['# Benchmarks', '', 'Written by `npm run bench`; every ratio is against a baseline measured in the same run.', '',
    ...machineDescription(version), '', ...[...sections.values()].flat()];
  fs.writeFileSync('BENCHMARKS.md', lines.join('\n'));
  process.stdout.write('wrote BENCHMARKS.md\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  if (error instanceof Error && error.cause) process.stderr.write(`cause: ${String((error.cause as Error).stack ?? error.cause)}\n`);
  process.exit(1);
});
