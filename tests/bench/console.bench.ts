import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { loadConsoleFiles } from '../../src/graphql/console.js';
import { WALLBOARD, WALLBOARD_SUBSCRIPTIONS } from '../../src/console/documents.js';
import { launchBrowser } from '../support/browser.js';
import { AGENTS, CLAIM, drive, resetQueue, seedClaims, type Run } from './claims.bench.js';
import { gqlRequest, percentile, startServerProcess, timeEach, type BenchDatabase, type SuiteResult } from './harness.js';

/**
 * The console: its weight (JavaScript and CSS the wallboard loads, gzipped, against a 150 KB
 * budget), the wallboard's first complete render on the demo data in a real Chromium (against
 * the wallboard query's own time over HTTP, measured in the same run), and what 50 open
 * wallboards cost the claims: 16 agents claiming over 100,000 entries with and without 50
 * clients running the wallboard's own subscription documents.
 */
const KEY = 'bench-admin-key-0123456789';
const WALLBOARDS = 50;
const SECONDS = 15;
const BUDGET_KB = 150;

/** The first complete render: from navigation to every figure shown, both charts drawn, the feed live. */
async function firstRender(base: string): Promise<{ ms: number[]; transferredKb: number }> {
  const browser = await launchBrowser();
  try {
    const ms: number[] = [];
    let transferredKb = 0;
    for (let i = 0; i < 6; i += 1) {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      // Signed in already (the key in sessionStorage), as after a reload: the render alone is timed.
      await page.evaluateOnNewDocument((key) => sessionStorage.setItem('callqueue.apiKey', key), KEY);
      await page.goto(base, { waitUntil: 'domcontentloaded' });
      await page.waitForFunction(() => document.querySelectorAll('[data-metric]').length >= 7 && document.querySelectorAll('.chart canvas').length === 2
        && document.querySelector('[data-connection="live"]') !== null, { polling: 'raf', timeout: 20_000 });
      const timing = await page.evaluate(() => {
        const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
        return {
          ms: performance.now(),
          bytes: resources.filter((r) => /\.(js|css)$/.test(r.name)).reduce((n, r) => n + r.encodedBodySize, 0),
        };
      });
      if (i > 0) ms.push(timing.ms); // the first load warms the server's caches and Chromium's
      transferredKb = timing.bytes / 1024;
      await context.close();
    }
    return { ms: ms.sort((a, b) => a - b), transferredKb };
  } finally {
    await browser.close();
  }
}

/** n wallboards' live connections: every subscription of the page, each reading what it receives. */
function openWallboards(url: string, n: number): { received: () => number; close: () => Promise<void> } {
  let received = 0;
  const clients: Client[] = [];
  for (let i = 0; i < n; i += 1) {
    const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, lazy: false, connectionParams: { authorization: `Bearer ${KEY}` } });
    for (const doc of WALLBOARD_SUBSCRIPTIONS) {
      for (const variables of doc.perQueue ? [{ t: 'UNSIGNED_USERS' }, { t: 'OUTSTANDING_REQUESTS' }] : [{}]) {
        client.subscribe({ query: doc.query, variables }, { next: () => { received += 1; }, error: () => {}, complete: () => {} });
      }
    }
    clients.push(client);
  }
  return { received: () => received, close: async () => { await Promise.all(clients.map((c) => c.dispose())); } };
}

export async function consoleSuite(db: BenchDatabase): Promise<SuiteResult> {
  const files = loadConsoleFiles();
  // The wallboard on the demo data.
  const demoUrl = await db.createDatabase('bench_console_demo');
  const demo = await startServerProcess(demoUrl, { ADMIN_API_KEY: KEY, REPOPULATE_CRON: '' }, ['--demo']);
  let render: Awaited<ReturnType<typeof firstRender>>;
  let query: number[];
  try {
    const base = demo.url.replace(/\/graphql$/, '/');
    const variables = { dayStart: new Date(Date.now() - 3_600_000).toISOString(), dueFrom: new Date().toISOString(), dueTo: new Date(Date.now() + 3_600_000).toISOString() };
    query = (await timeEach(30, 5, () => gqlRequest(demo.url, KEY, WALLBOARD, variables))).sort((a, b) => a - b);
    render = await firstRender(base);
  } finally {
    await demo.stop();
  }

  // Claims with and without 50 wallboards listening.
  const url = await db.createDatabase('bench_console_claims');
  const app = await startServerProcess(url, {
    REPOPULATE_CRON: '', ADMIN_API_KEY: KEY, DB_POOL_SIZE: String(AGENTS), MAX_ASSIGNED_PER_AGENT: '100000',
    CALLING_WINDOW_START: '00:00', CALLING_WINDOW_END: '23:59',
  });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  let alone: Run;
  let watched: Run;
  let delivered = 0;
  try {
    await seedClaims(admin);
    const claim = (w: number) => gqlRequest(app.url, KEY, CLAIM, { a: String(w + 1) }).then(() => undefined);
    alone = await drive(AGENTS, SECONDS, claim);
    await resetQueue(admin);
    const boards = openWallboards(app.url, WALLBOARDS);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // connected and subscribed
    const before = boards.received();
    watched = await drive(AGENTS, SECONDS, claim);
    delivered = boards.received() - before;
    await boards.close();
  } finally {
    await admin.end();
    await app.stop();
  }
  const rate = (r: Run) => r.ops / r.seconds;
  const drop = (1 - rate(watched) / rate(alone)) * 100;
  const p50 = percentile(render.ms, 50);
  const kb = files.gzippedBytes / 1024;
  return {
    name: 'Console: weight, first render, 50 live wallboards',
    rows: [
      ['JavaScript + CSS of the console, gzipped (all its modules and libraries)', `${kb.toFixed(1)} KB`, `${BUDGET_KB} KB budget`, (kb / BUDGET_KB).toFixed(2), '≤ 1.00'],
      ['… of which the wallboard loads (Chromium, encoded bodies)', `${render.transferredKb.toFixed(1)} KB`, '', '', ''],
      ['wallboard first complete render on demo data, p50 of 5 (Chromium)', `${p50.toFixed(0)} ms`, `${percentile(query, 50).toFixed(1)} ms the wallboard query alone (HTTP)`,
        `${(p50 / percentile(query, 50)).toFixed(1)}×`, '≤ 1,000 ms'],
      [`GraphQL claims/s with ${WALLBOARDS} wallboards subscribed`, rate(watched).toFixed(0), `${rate(alone).toFixed(0)} claims/s without`,
        drop > 0 ? `${drop.toFixed(1)} % drop` : `no drop (+${(-drop).toFixed(1)} %)`, '≤ 10 % drop'],
      ['subscription results delivered to the wallboards meanwhile', String(delivered), '', '', ''],
    ],
    ratioLine: `console: ${kb.toFixed(0)} KB gzipped (budget ${BUDGET_KB}); first render ${p50.toFixed(0)} ms; claims with ${WALLBOARDS} wallboards ${drop > 0 ? `−${drop.toFixed(1)}` : `+${(-drop).toFixed(1)}`} %`,
    notes: [
      'The render is timed from navigation with the key already in the tab (as after a reload) to the seven fixed figures shown, both charts drawn and the feed live; 6 loads, the first discarded (warm-up).',
      `The ${WALLBOARDS} wallboards are graphql-ws clients in the benchmark process running the page's own subscription documents (src/console/documents.js); they do not re-read agents and callbacks on each queue change as the page does (debounced to one read per 400 ms each).`,
    ],
  };
}
