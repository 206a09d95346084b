import pg from 'pg';
import type { BenchDatabase } from './harness.js';

/**
 * The peers of a claim + outcome cycle: a Postgres job queue fetching one job and completing
 * it, with a no-op task, 16 at a time, on its own database of the same cluster.
 */
const JOBS = 50_000;
const CONCURRENCY = 16;

async function seedWith(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(statement);
  await client.query('VACUUM ANALYZE');
  await client.end();
}

/** graphile-worker 0.17: jobs done per second by one runner with concurrency 16. */
export async function graphileWorkerRate(db: BenchDatabase, seconds: number): Promise<number> {
  const { makeWorkerUtils, run } = await import('graphile-worker');
  const url = await db.createDatabase('bench_graphile_worker');
  const utils = await makeWorkerUtils({ connectionString: url });
  await utils.migrate();
  await utils.release();
  await seedWith(url, `SELECT graphile_worker.add_job('noop', json_build_object('i', g)) FROM generate_series(1, ${JOBS}) g`);
  let done = 0;
  const runner = await run({
    connectionString: url, concurrency: CONCURRENCY, noHandleSignals: true, pollInterval: 1000,
    taskList: { noop: async () => { done += 1; } },
    logger: new (await import('graphile-worker')).Logger(() => () => {}),
  });
  const start = performance.now();
  const startDone = done;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const rate = (done - startDone) / ((performance.now() - start) / 1000);
  await runner.stop();
  return rate;
}

/**
 * pg-boss 10: 16 loops of fetch + complete, jobs per second, with `batchSize` jobs per fetch and
 * their completion in one call. Its fetch orders the backlog by (priority, created_on, id),
 * which no index of pg-boss serves (job_i5 is (name, start_after)): each fetch reads and sorts
 * the whole backlog, ~20 ms at 50,000 jobs, so one job per fetch measures that sort (the 17 jobs/s
 * first reported). Its documentation's way to throughput is a larger batchSize (work() and
 * fetch() take one); `priority: false` drops the priority from the sort.
 */
export async function pgBossRate(db: BenchDatabase, seconds: number, batchSize: number): Promise<number> {
  const { default: PgBoss } = await import('pg-boss');
  const url = await db.createDatabase(`bench_pg_boss_${batchSize}`);
  const boss = new PgBoss({ connectionString: url, max: CONCURRENCY, supervise: false, schedule: false });
  boss.on('error', () => {});
  await boss.start();
  await boss.createQueue('noop');
  for (let i = 0; i < JOBS; i += 5000) await boss.insert(Array.from({ length: 5000 }, () => ({ name: 'noop', data: {} })));
  await seedWith(url, 'SELECT 1');
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < end) {
      const jobs = await boss.fetch('noop', { batchSize, priority: false });
      if (jobs.length === 0) break;
      await boss.complete('noop', jobs.map((job) => job.id));
      done += jobs.length;
    }
  }));
  const rate = done / ((performance.now() - start) / 1000);
  await boss.stop({ graceful: false, wait: true });
  return rate;
}
