/// <reference lib="dom" />
import fs from 'node:fs';
import type { Browser, Page } from 'puppeteer-core';
import { axeViolations, collectProblems, launchBrowser, metric, screenshot, signIn } from '../support/browser.js';
import { seed } from '../support/seed.js';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../support/server.js';
import { DAYTIME } from '../support/zones.js';

/** The console's part two in a real Chromium: the agent desk, lines, repopulation, keys; what each role may use. */
let server: TestServer;
let browser: Browser;
let base: string;
let s: ReturnType<typeof seed>;
const problems: string[][] = [];

beforeAll(async () => {
  server = await startTestServer({ LINES_JOB_CRON: '', CALLBACK_JOB_CRON: '', LEASE_JOB_CRON: '' });
  base = server.app.url.replace(/\/graphql$/, '');
  s = seed(server.db);
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function page(key: string): Promise<Page> {
  const p = await (await browser.createBrowserContext()).newPage();
  p.setDefaultTimeout(10_000);
  problems.push(collectProblems(p));
  await signIn(p, base, key);
  await p.waitForSelector('[data-connection="live"]');
  return p;
}
const keyFor = async (role: string, agentId?: number) =>
  (await server.admin.data(`mutation($r: Role!, $a: ID) { createApiKey(role: $r, agentId: $a) { key } }`, { r: role, a: agentId ? String(agentId) : null })).createApiKey.key as string;
async function claimable(priority = 9000): Promise<number> {
  const user = await s.claimant({ timezone: DAYTIME() });
  await server.admin.data(`mutation($u: ID!, $p: Int) { enqueueUser(input: { userId: $u, queueType: UNSIGNED_USERS, priorityScore: $p }) { id } }`, { u: String(user), p: priority });
  return user;
}
const goto = async (p: Page, path: string) => {
  await p.goto(base + path);
  await p.waitForSelector('[data-connection="live"]');
  await p.waitForFunction(() => !document.querySelector('.boot'));
};

it('an agent claims, sees the claimant, records NO_ANSWER: the entry is released with the attempt counted and the cooldown', async () => {
  const agent = await s.agent();
  const user = await claimable(9500);
  const desk = await page(await keyFor('AGENT', agent));
  await goto(desk, '/agent');
  expect(await metric(desk, 'agent-current-user')).toBe('');
  await desk.click('[data-action="claim-next:UNSIGNED_USERS"]');
  await desk.waitForFunction((u) => document.querySelector('[data-metric="agent-current-user"]')?.textContent === String(u), {}, user);
  await desk.waitForSelector('[data-score-total]');
  await screenshot(desk, 'agent-desk');
  await desk.click('[data-action="outcome:NO_ANSWER"]');
  await desk.waitForFunction(() => document.querySelector('[data-metric="agent-current-user"]')?.textContent === '');
  const [row] = await server.db.sql(`SELECT e.status, s.total_attempts, s.last_outcome, s.next_call_after > now() AS cooling
    FROM unsigned_users_queue e JOIN user_call_scores s USING (user_id) WHERE e.user_id = $1 AND e.status IN ('pending', 'assigned')`, [user]);
  expect(row).toEqual({ status: 'pending', total_attempts: 1, last_outcome: 'no_answer', cooling: true });
});

it('with every line busy, a call shows queued at position 1, then started when another call ends — without a reload', async () => {
  const agent = await s.agent();
  const busy = await s.claimant({ timezone: DAYTIME() });
  const [{ active }] = await server.db.sql(`SELECT active FROM call_lines`) as [{ active: number }];
  await server.db.sql(`UPDATE call_lines SET max_lines = $1`, [active + 1]);
  const other = (await server.admin.data(`mutation($u: ID!, $a: ID!) { initiateCall(input: { userId: $u, agentId: $a, callType: DIRECT }) { status session { id } } }`,
    { u: String(busy), a: String(await s.agent()) })).initiateCall;
  expect(other.status).toBe('STARTED');
  try {
    const user = await claimable(9600);
    const desk = await page(await keyFor('AGENT', agent));
    await goto(desk, '/agent');
    await desk.click('[data-action="claim-next:UNSIGNED_USERS"]');
    await desk.waitForFunction((u) => document.querySelector('[data-metric="agent-current-user"]')?.textContent === String(u), {}, user);
    await (await desk.waitForSelector('[data-write="start-call"]'))!.click();
    await desk.waitForSelector('[data-call="queued"]');
    expect(await desk.$eval('[data-call-position]', (e) => e.textContent)).toBe('1');
    await desk.evaluate(() => { (window as any).__sameDocument = true; });
    await server.admin.data(`mutation($s: ID!) { endCall(sessionId: $s, outcome: ANSWERED) { id } }`, { s: other.session.id });
    await desk.waitForSelector('[data-call="started"]');
    expect(await desk.evaluate(() => (window as any).__sameDocument)).toBe(true);
    await screenshot(desk, 'agent-desk-call');
    // The outcome ends the call and the assignment together.
    await desk.click('[data-action="outcome:ANSWERED"]');
    await desk.waitForFunction(() => document.querySelector('[data-metric="agent-current-user"]')?.textContent === '');
    expect(await server.db.sql(`SELECT count(*)::int AS n FROM call_sessions WHERE user_id = $1 AND status = 'active'`, [user])).toEqual([{ n: 0 }]);
  } finally {
    await server.db.sql(`UPDATE call_lines SET max_lines = 10`);
  }
});

it('the repopulation dry run shows the counts the API returns, and changes nothing', async () => {
  for (let i = 0; i < 3; i += 1) await s.claimant({ missingDays: 10 + i });
  const admin = await page(TEST_ADMIN_KEY);
  await goto(admin, '/repopulation');
  const before = await server.db.sql(`SELECT id, status, priority_score FROM unsigned_users_queue ORDER BY id`);
  await admin.click('[data-write="dry-run"]');
  await admin.waitForSelector('[data-dry-run="UNSIGNED_USERS"]');
  const shown = await admin.$$eval('[data-dry-run]', (els) => els.map((e) => [e.getAttribute('data-dry-run'),
    ...['added', 'removed', 'kept', 'reprioritised'].map((k) => Number(e.querySelector(`[data-dry="${k}"]`)!.textContent))]));
  const api = (await server.admin.data(`mutation { repopulateQueues(dryRun: true) { queues { queueType added removed kept reprioritised } } }`)).repopulateQueues.queues;
  expect(shown).toEqual(api.map((q: any) => [q.queueType, q.added, q.removed, q.kept, q.reprioritised]));
  expect(await server.db.sql(`SELECT id, status, priority_score FROM unsigned_users_queue ORDER BY id`)).toEqual(before);
  await screenshot(admin, 'repopulation');
});

it('lines and keys: an admin sees the lines live and creates a key shown once; a refused action shows the API\'s words', async () => {
  const admin = await page(TEST_ADMIN_KEY);
  await goto(admin, '/lines');
  await admin.waitForSelector('[data-metric="lines-limit"]');
  expect(await metric(admin, 'lines-limit')).toBe(String((await server.admin.data('{ lineStatus { limit } }')).lineStatus.limit));
  await screenshot(admin, 'lines');
  await goto(admin, '/keys');
  await admin.type('#key-label', 'Wall screen');
  await admin.click('[data-write="create-key"]');
  await admin.waitForSelector('[data-new-key]');
  const key = await admin.$eval('[data-new-key]', (e) => (e as HTMLInputElement).value);
  expect((await server.client(key).data('{ viewer { role } }')).viewer.role).toBe('VIEWER');
  await screenshot(admin, 'keys');
  // A key expiring in the past: the API refuses, the page says so, nothing is created.
  const [before] = await server.db.sql(`SELECT count(*)::int AS n FROM api_keys`);
  await admin.$eval('#key-expires', (e) => {
    (e as HTMLInputElement).value = '2020-01-01T12:00';
    e.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await admin.click('[data-write="create-key"]');
  await admin.waitForFunction(() => /expiresAt must be in the future/.test(document.querySelector('form [role=alert]')?.textContent ?? ''));
  expect(await server.db.sql(`SELECT count(*)::int AS n FROM api_keys`)).toEqual([before]);
});

it('an AGENT sees "not allowed" on /migration and /keys; a VIEWER sees no write control anywhere', async () => {
  const agent = await page(await keyFor('AGENT', await s.agent()));
  for (const path of ['/migration', '/keys']) {
    await goto(agent, path);
    expect(await agent.$eval('main', (m) => m.textContent)).toMatch(/not allowed/i);
    expect(await agent.$$('main button, main input, main select')).toHaveLength(0);
  }
  const viewer = await page(await keyFor('VIEWER'));
  for (const path of ['/', '/queues/UNSIGNED_USERS', '/lines', '/repopulation', '/agent', '/migration', '/keys']) {
    await goto(viewer, path);
    expect({ path, writes: await viewer.$$eval('[data-write], [data-action]', (els) => els.length) }).toEqual({ path, writes: 0 });
  }
  await goto(viewer, '/agent');
  expect(await viewer.$eval('main', (m) => m.textContent)).toMatch(/not allowed/i);
  await screenshot(viewer, 'not-allowed');
});

it('is accessible on every page of part two (no serious axe violation), the desk with a claimant on it', async () => {
  const admin = await page(TEST_ADMIN_KEY);
  const agent = await s.agent();
  await claimable(9700);
  for (const path of [`/agent?agent=${agent}`, '/lines', '/repopulation', '/migration', '/keys']) {
    await goto(admin, path);
    if (path.startsWith('/agent')) {
      await admin.click('[data-action="claim-next:UNSIGNED_USERS"]');
      await admin.waitForSelector('[data-score-total]');
    }
    expect({ path, violations: await axeViolations(admin) }).toEqual({ path, violations: [] });
  }
});

it('left no error in any page\'s console', () => {
  expect(problems.flat()).toEqual([]);
  expect(fs.existsSync('.test-output/screenshots/agent-desk.png')).toBe(true);
});
