/// <reference lib="dom" />
import type { Browser, Page } from 'puppeteer-core';
import { collectProblems, launchBrowser, metric, screenshot, signIn } from '../support/browser.js';
import { createTestDatabase } from '../support/database.js';
import { seedLegacy, startLegacyPhase } from '../support/legacy.js';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../support/server.js';

/**
 * An admin takes a seeded legacy install from PRE_MIGRATION to NEW_ONLY with the console only,
 * then rolls it back with a reason: every legacy entry is in call_queue again, the audit lists
 * every step with its reason.
 */
let server: TestServer;
let browser: Browser;
let page: Page;
let problems: string[];

beforeAll(async () => {
  const db = await createTestDatabase();
  await seedLegacy(db, { unsigned: 60, outstanding: 40, callbacks: 5, closed: 20, bothTypes: 2 });
  await startLegacyPhase(db);
  server = await startTestServer({ MIGRATION_PHASE_POLL_MS: '200' }, db);
  browser = await launchBrowser();
  page = await (await browser.createBrowserContext()).newPage();
  page.setDefaultTimeout(15_000);
  problems = collectProblems(page);
  page.on('dialog', (dialog) => void dialog.accept());
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const phaseIs = (phase: string) => page.waitForFunction((p) => document.querySelector('[data-metric="migration-phase"]')?.textContent === p, {}, phase);
async function nextPhase(to: string, reason: string) {
  await page.$eval('#phase-reason', (e) => { (e as HTMLInputElement).value = ''; });
  await page.type('#phase-reason', reason);
  await page.waitForFunction(() => !(document.querySelector('[data-write="next-phase"]') as HTMLButtonElement).disabled);
  await page.click('[data-write="next-phase"]');
  await phaseIs(to);
}

it('takes a legacy install through every phase to NEW_ONLY and back, with the console alone', async () => {
  const liveLegacy = async () => (await server.db.sql(`SELECT count(*)::int AS n FROM call_queue WHERE status IN ('pending', 'assigned')`))[0]!.n;
  const before = await liveLegacy();
  await signIn(page, server.app.url.replace(/\/graphql$/, ''), TEST_ADMIN_KEY);
  await page.waitForSelector('[data-connection="live"]');
  await page.click('a[href="/migration"]');
  await phaseIs('PRE_MIGRATION');
  await nextPhase('DUAL_WRITE', 'start writing both');
  await page.click('[data-write="preview"]');
  await page.waitForSelector('#preview-title');
  await page.waitForFunction(() => !(document.querySelector('[data-write="apply"]') as HTMLButtonElement).disabled);
  await page.click('[data-write="apply"]');
  await page.waitForFunction(() => document.querySelector('[data-metric="migration-progress"]')?.textContent === '1');
  expect(await metric(page, 'migration-progress')).toBe('1');
  await screenshot(page, 'migration-applied');
  await nextPhase('BACKFILLED', 'copied');
  await page.click('[data-write="validate"]');
  await page.waitForSelector('[data-validation="passed"]');
  await nextPhase('READ_NEW', 'validated');
  await nextPhase('NEW_ONLY', 'reading the new tables is fine');
  await screenshot(page, 'migration-new-only');

  await page.type('#rollback-reason', 'the call centre asked to go back');
  await page.click('[data-write="rollback"]');
  await phaseIs('PRE_MIGRATION');
  expect(await liveLegacy()).toBeGreaterThanOrEqual(before - 2); // the 2 duplicate live rows were resolved, as the preview said
  const separatedLive = (await server.db.sql(`SELECT (SELECT count(*) FROM unsigned_users_queue WHERE status IN ('pending', 'assigned'))
    + (SELECT count(*) FROM outstanding_requests_queue WHERE status IN ('pending', 'assigned')) AS n`))[0]!.n;
  const missing = await server.db.sql(`SELECT count(*)::int AS n FROM (SELECT id FROM unsigned_users_queue UNION ALL SELECT id FROM outstanding_requests_queue) s
    WHERE NOT EXISTS (SELECT 1 FROM call_queue q WHERE q.id = s.id)`);
  expect(missing).toEqual([{ n: 0 }]);
  expect(Number(separatedLive)).toBe(await liveLegacy());
  const audit = await server.db.sql(`SELECT from_phase, to_phase, reason FROM migration_phase_changes WHERE actor <> 'install' ORDER BY id`);
  expect(audit).toEqual([
    { from_phase: 'PRE_MIGRATION', to_phase: 'DUAL_WRITE', reason: 'start writing both' },
    { from_phase: 'DUAL_WRITE', to_phase: 'BACKFILLED', reason: 'copied' },
    { from_phase: 'BACKFILLED', to_phase: 'READ_NEW', reason: 'validated' },
    { from_phase: 'READ_NEW', to_phase: 'NEW_ONLY', reason: 'reading the new tables is fine' },
    { from_phase: 'NEW_ONLY', to_phase: 'PRE_MIGRATION', reason: 'rollback: the call centre asked to go back' },
  ]);
  expect(problems).toEqual([]);
  await screenshot(page, 'migration');
}, 120_000);
