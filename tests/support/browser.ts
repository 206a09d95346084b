import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { nativeRequire } from './native.js';

// puppeteer-core and @sparticuz/chromium ship ES modules only: loaded with Node's own require.
const puppeteer = nativeRequire('puppeteer-core').default as typeof import('puppeteer-core').default;
const chromium = nativeRequire('@sparticuz/chromium').default as typeof import('@sparticuz/chromium').default;

/**
 * A real headless Chromium from an npm package (@sparticuz/chromium ships the binary; nothing
 * is downloaded), driven by puppeteer-core. On a closed network Chromium must not spend its
 * start-up on connections that are refused: background networking is off.
 *//*
 * The package's own argument list is made for serverless functions: it includes
 * --single-process (one page at a time; a second browser context crashes it) and switches web
 * security off (which would hide what the console's CSP and same-origin rules do). These are the
 * arguments a test wants of it: its software GL, no sandbox (root, no user namespaces), and no
 * background networking.
 */
const ARGS = [
  '--no-sandbox', '--disable-setuid-sandbox', '--no-zygote', '--use-gl=angle', '--use-angle=swiftshader', '--in-process-gpu',
  '--font-render-hinting=none', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--no-default-browser-check', '--disable-default-apps', '--disable-extensions', '--disable-domain-reliability',
  '--no-pings', '--lang=en-US',
];

/**
 * The package unpacks Chromium into the temp folder with tar-fs, whose archives carry a "./"
 * entry: it sets the temp folder itself to 0755, and then no other user (PostgreSQL's `postgres`,
 * for its socket lock) can write there. Its mode is put back as it was.
 */
async function unpackedChromium(): Promise<string> {
  const tmp = os.tmpdir();
  const mode = fs.statSync(tmp).mode & 0o7777;
  try {
    return await chromium.executablePath();
  } finally {
    if ((fs.statSync(tmp).mode & 0o7777) !== mode) fs.chmodSync(tmp, mode);
  }
}

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: await unpackedChromium(),
    headless: 'shell',
    args: ARGS,
    // A machine with LANG=C gives Chromium the locale "en-US@posix", which Intl refuses.
    env: { ...process.env, LANG: 'en_US.UTF-8' },
    defaultViewport: { width: 1366, height: 900 },
  });
}

/** Where tests write screenshots for review (git-ignored). */
export const SCREENSHOTS = path.join(process.cwd(), '.test-output/screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Every console message and page error of a page, to assert there were none. */
export function collectProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${(e as Error).message}`));
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  return problems;
}

/** Signs in through the form, as a person would. */
export async function signIn(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(baseUrl, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('input[name=apiKey]');
  await page.type('input[name=apiKey]', key);
  await page.click('button[type=submit]');
}

/** The text of a data-metric element, once it is on the page. */
export async function metric(page: Page, id: string): Promise<string> {
  const el = await page.waitForSelector(`[data-metric="${id}"]`);
  return (await el!.evaluate((e) => e.textContent ?? '')).trim();
}

/** Serious and critical accessibility violations of the page now (axe-core, from its npm package). */
export async function axeViolations(page: Page): Promise<string[]> {
  // DevTools evaluation is not subject to the page's CSP (the page itself may not eval).
  await page.evaluate(fs.readFileSync(path.join(process.cwd(), 'node_modules/axe-core/axe.min.js'), 'utf8'));
  return page.evaluate(async () => {
    const result = await (window as any).axe.run(document, { resultTypes: ['violations'] });
    return result.violations.filter((v: any) => v.impact === 'serious' || v.impact === 'critical').map((v: any) => `${v.id}: ${v.nodes.length}`);
  });
}
