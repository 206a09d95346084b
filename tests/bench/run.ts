import fs from 'node:fs';
import pg from 'pg';
import { claimsSuite } from './claims.bench.js';
import { dashboardSuite } from './dashboard.bench.js';
import { machineDescription, startBenchDatabase, type SuiteResult } from './harness.js';

/**
 * npm run bench: runs every suite against one embedded PostgreSQL and writes BENCHMARKS.md.
 * Each suite measures its baseline in the same run, so figures are ratios on this machine.
 */
const long = process.argv.includes('--long');
const suites = [dashboardSuite, (db: Parameters<typeof dashboardSuite>[0]) => claimsSuite(db, { long, seconds: 15 })];

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
  const lines = ['# Benchmarks', '', 'Written by `npm run bench`; every ratio is against a baseline measured in the same run.', '',
    ...machineDescription(version), ''];
  for (const r of results) {
    lines.push(`## ${r.name}`, '', '| figure | callqueue | baseline | ratio | goal |', '|---|---|---|---|---|',
      ...r.rows.map((row) => `| ${row.join(' | ')} |`), '', ...(r.notes ?? []).map((n) => `- ${n}`), '');
  }
  fs.writeFileSync('BENCHMARKS.md', lines.join('\n'));
  process.stdout.write('wrote BENCHMARKS.md\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
