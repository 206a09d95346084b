/// <reference lib="dom" />
import type { Browser, Page } from 'puppeteer-core';
import { axeViolations, collectProblems, launchBrowser, metric, screenshot, signIn } from '../support/browser.js';
import { seed } from '../support/seed.js';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../support/server.js';
import { LISTENER_APPLICATION_NAME } from '../../src/modules/events/listener.js';

/**
 * The console in a real Chromium (from an npm package), against the real server on real
 * PostgreSQL: what a supervisor does, step by step.
 */
let server: TestServer;
let browser: Browser;
let base: string;
let s: ReturnType<typeof seed>;
let ada: number;
const opened: { page: Page; problems: string[]; refusedKey: boolean }[] = [];

beforeAll(async () => {
  server = await startTestServer({ API_KEY_CACHE_SECONDS: '0', LINES_JOB_CRON: '', CALLBACK_JOB_CRON: '' });
  base = server.app.url.replace(/\/graphql$/, '');
  s = seed(server.db);
  ada = await s.claimant({ missingDays: 20 });
  await server.db.sql(`UPDATE claimants SET first_name = 'Ada', last_name = 'Lovelace', phone = '+1 555 010 2030' WHERE user_id = $1`, [ada]);
  await server.admin.data(`mutation($u: ID!) { enqueueUser(input: { userId: $u, queueType: UNSIGNED_USERS }) { id } }`, { u: String(ada) });
  for (let i = 0; i < 5; i += 1) {
    const u = await s.claimant({ attempts: i });
    await server.admin.data(`mutation($u: ID!) { enqueueUser(input: { userId: $u, queueType: UNSIGNED_USERS }) { id } }`, { u: String(u) });
  }
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * A new page in a context of its own (its own sessionStorage), with its problems collected.
 * `refusedKey`: the test uses a key the API refuses, so the browser's own log line for that
 * HTTP 401 is expected there (and only there).
 */
async function newPage({ refusedKey = false } = {}): Promise<Page> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems = collectProblems(page);
  opened.push({ page, problems, refusedKey });
  return page;
}

async function signedIn(key = TEST_ADMIN_KEY, options: { refusedKey?: boolean } = {}): Promise<Page> {
  const page = await newPage(options);
  await signIn(page, base, key);
  await page.waitForSelector('[data-connection="live"]');
  return page;
}

const text = (page: Page, selector: string) => page.$eval(selector, (e) => (e.textContent ?? '').trim());

it('a wrong key gets a message and nothing else; the right key gets the wallboard with the API\'s figures', async () => {
  const page = await newPage({ refusedKey: true });
  await signIn(page, base, 'not-a-key-of-this-service');
  await page.waitForSelector('[role=alert]');
  expect(await text(page, '[role=alert]')).toMatch(/not accepted/);
  expect(await page.$$('[data-metric]')).toHaveLength(0);
  expect(await page.$('nav')).toBeNull();
  await screenshot(page, 'sign-in-refused');

  const wall = await signedIn();
  const dayStart = new Date();
  dayStart.setHours(0, 0, 0, 0);
  const api = await server.admin.data(`query($d: DateTime!) { queues { type depth assignedCount } lineStatus { active limit queuedDirect queuedCampaign }
    conversionStats(from: $d) { total } }`, { d: dayStart.toISOString() });
  for (const q of api.queues) {
    expect(await metric(wall, `queue-depth:${q.type}`)).toBe(String(q.depth));
    expect(await metric(wall, `queue-assigned:${q.type}`)).toBe(String(q.assignedCount));
  }
  expect(await metric(wall, 'lines-active')).toBe(String(api.lineStatus.active));
  expect(await metric(wall, 'lines-limit')).toBe(String(api.lineStatus.limit));
  expect(await metric(wall, 'lines-queued')).toBe(String(api.lineStatus.queuedDirect + api.lineStatus.queuedCampaign));
  expect(await metric(wall, 'conversions-today')).toBe(String(api.conversionStats.total));
  await screenshot(wall, 'wallboard');
});

it('shows a claimant enqueued through the API on the open wallboard within a second, without a reload', async () => {
  const wall = await signedIn();
  const before = Number(await metric(wall, 'queue-depth:UNSIGNED_USERS'));
  const user = await s.claimant();
  await wall.evaluate(() => { (window as any).__notReloaded = true; });
  await server.admin.data(`mutation($u: ID!) { enqueueUser(input: { userId: $u, queueType: UNSIGNED_USERS }) { id } }`, { u: String(user) });
  const changed = Date.now();
  await wall.waitForFunction((n) => document.querySelector('[data-metric="queue-depth:UNSIGNED_USERS"]')?.textContent === String(n),
    { timeout: 1000, polling: 'mutation' }, before + 1);
  expect(Date.now() - changed).toBeLessThan(1000);
  expect(await wall.evaluate(() => (window as any).__notReloaded)).toBe(true);
});

it('says reconnecting when the service loses its change feed, then live, with the figures read again', async () => {
  const wall = await signedIn();
  await wall.evaluate(() => {
    const seen: string[] = [];
    (window as any).__states = seen;
    const indicator = document.querySelector('[data-connection]')!;
    new MutationObserver(() => seen.push(indicator.getAttribute('data-connection')!)).observe(indicator, { attributes: true });
  });
  // A change no event announces (raw SQL), then the LISTEN connection killed from SQL.
  const user = await s.claimant();
  await s.entry({ userId: user });
  await server.db.sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, [LISTENER_APPLICATION_NAME]);
  await wall.waitForFunction(() => (window as any).__states.includes('reconnecting'));
  await wall.waitForFunction(() => (window as any).__states.at(-1) === 'live' && (window as any).__states.indexOf('reconnecting') < (window as any).__states.lastIndexOf('live'));
  const { queue } = await server.admin.data(`{ queue(type: UNSIGNED_USERS) { depth } }`);
  await wall.waitForFunction((n) => document.querySelector('[data-metric="queue-depth:UNSIGNED_USERS"]')?.textContent === String(n), {}, queue.depth);
});

it('finds a claimant by name, and the claimant page\'s score parts add up to the score that orders the queue', async () => {
  const page = await signedIn();
  await page.click('a[href="/queues/UNSIGNED_USERS"]');
  await page.waitForSelector('input#search');
  await page.type('input#search', 'lovelace');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.search.includes('search=lovelace'));
  await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1 && document.querySelector('tbody a')?.textContent === 'Ada Lovelace');
  await screenshot(page, 'queue-browser');
  await page.click('tbody a');
  await page.waitForSelector('[data-score-total]');
  expect(page.url()).toBe(`${base}/claimants/${ada}`);
  const parts = await page.$$eval('[data-score-part]', (els) => els.map((e) => Number(e.textContent!.replace('+', ''))));
  const total = Number(await text(page, '[data-score-total]'));
  expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
  const api = await server.admin.data(`query($u: ID!) { scoreBreakdown(userId: $u) { total } userQueueEntry(userId: $u) { priorityScore } }`, { u: String(ada) });
  expect([total, Number(await text(page, '[data-entry-priority]'))]).toEqual([api.scoreBreakdown.total, api.userQueueEntry.priorityScore]);
  await screenshot(page, 'claimant');
});

it('shows a VIEWER no write controls, where an ADMIN has them', async () => {
  const admin = await signedIn();
  await admin.goto(`${base}/claimants/${ada}`);
  await admin.waitForSelector('[data-score-total]');
  expect((await admin.$$('[data-write]')).length).toBeGreaterThan(0);
  const key = (await server.admin.data(`mutation { createApiKey(role: VIEWER) { key } }`)).createApiKey.key;
  const viewer = await signedIn(key);
  for (const path of [`/claimants/${ada}`, '/queues/UNSIGNED_USERS', '/']) {
    await viewer.goto(base + path);
    await viewer.waitForSelector('[data-connection="live"]');
    await viewer.waitForFunction(() => !document.querySelector('.boot'));
    expect(await viewer.$$('[data-write], [data-action]')).toHaveLength(0);
  }
  expect(await text(viewer, '.role')).toBe('viewer');
});

it('signs the user out with a message when the key stops being accepted mid-session', async () => {
  const key = (await server.admin.data(`mutation { createApiKey(role: INTEGRATOR) { key } }`)).createApiKey.key;
  const page = await signedIn(key, { refusedKey: true });
  // Revoked by SQL: the database announces it, the service closes the key's live connection, the page signs out.
  await server.db.sql(`UPDATE api_keys SET revoked_at = now() WHERE revoked_at IS NULL AND role = 'INTEGRATOR'`);
  await page.waitForSelector('input[name=apiKey]', { timeout: 3000 });
  expect(await text(page, '[role=alert]')).toMatch(/no longer accepted/);
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
});

it('is usable by keyboard and by screen reader on every page: names, focus, no serious accessibility violation', async () => {
  const page = await signedIn();
  for (const path of ['/', '/queues/OUTSTANDING_REQUESTS', `/claimants/${ada}`]) {
    await page.goto(base + path);
    await page.waitForSelector('[data-connection="live"]');
    await page.waitForFunction(() => !document.querySelector('.boot'));
    const violations = await axeViolations(page);
    expect({ path, violations }).toEqual({ path, violations: [] });
    // Tab reaches every visible control (each marks itself as it takes the focus).
    const controls = 'a[href], button:not([disabled]), input, select';
    const count = await page.$$eval(controls, (els) => els.filter((e) => (e as HTMLElement).offsetParent !== null).length);
    await page.evaluate(() => document.addEventListener('focusin', (e) => (e.target as HTMLElement).setAttribute('data-tabbed', '')));
    for (let i = 0; i < count + 2; i += 1) await page.keyboard.press('Tab');
    const missed = await page.$$eval(controls, (els) => els.filter((e) => (e as HTMLElement).offsetParent !== null && !e.hasAttribute('data-tabbed'))
      .map((e) => e.outerHTML.slice(0, 80)));
    expect({ path, missed }).toEqual({ path, missed: [] });
    await screenshot(page, `a11y-${path.split('/')[1] || 'wallboard'}`);
  }
});

it('opens the GraphQL IDE from the project\'s own files, signed in with the console\'s key', async () => {
  const page = await signedIn();
  await page.goto(`${base}/graphql`);
  const run = await page.waitForSelector('.graphiql-execute-button');
  await run!.click();
  await page.waitForFunction(() => /"role": "ADMIN"/.test(document.querySelector('.result-window')?.textContent ?? ''));
  await screenshot(page, 'graphql-ide');
});

it('left no error in any page\'s console', () => {
  const unexpected = opened.flatMap((o) => o.problems.filter((p) => !(o.refusedKey && /status of 401 \(Unauthorized\)/.test(p))));
  expect(unexpected).toEqual([]);
});
