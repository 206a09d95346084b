import { spawn } from 'node:child_process';
import { percentile, startServerProcess, timeEach, type BenchDatabase, type SuiteResult } from './harness.js';

/**
 * The request floor: what every request pays around its resolvers (key check, context, the
 * EntityManager fork, loaders, cost and depth checks, logging, metrics), as the p50 of
 * `{ __typename }` sent one after another over a keep-alive connection, against a bare Apollo
 * Server of the same version in a process of its own, measured in the same run.
 */
const KEY = 'bench-admin-key-0123456789';
const QUERY = JSON.stringify({ query: '{ __typename }' });

async function startBareApollo(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['tests/bench/peers/bare-apollo.mjs'], {
    env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`bare Apollo exited with ${code}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

async function floorOf(url: string, headers: Record<string, string>): Promise<number[]> {
  return timeEach(4000, 1000, async () => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: QUERY });
    const body = (await response.json()) as { data?: { __typename?: string } };
    if (body.data?.__typename !== 'Query') throw new Error(`unexpected answer ${JSON.stringify(body)}`);
  });
}

export async function floorSuite(db: BenchDatabase): Promise<SuiteResult> {
  const url = await db.createDatabase('bench_floor');
  const app = await startServerProcess(url, { REPOPULATE_CRON: '', ADMIN_API_KEY: KEY });
  const bare = await startBareApollo();
  try {
    const ours = await floorOf(app.url, { authorization: `Bearer ${KEY}` });
    const theirs = await floorOf(bare.url, {});
    const ratio = percentile(ours, 50) / percentile(theirs, 50);
    const ms = (t: number[]) => `${percentile(t, 50).toFixed(3)} / ${percentile(t, 99).toFixed(3)} ms`;
    return {
      name: 'Request floor',
      rows: [['`{ __typename }` p50 / p99, sequential, keep-alive (4,000 after 1,000 unmeasured)', ms(ours),
        `${ms(theirs)} bare Apollo Server 5 (production mode)`, `${ratio.toFixed(2)}×`, '≤ 0.5 ms p50 or ≤ 1.5×']],
      ratioLine: `request floor p50 ${percentile(ours, 50).toFixed(3)} ms = ${ratio.toFixed(2)}× bare Apollo`,
    };
  } finally {
    bare.stop();
    await app.stop();
  }
}
