import { startTestServer, type TestServer } from '../support/server.js';

/** The console and the IDE over plain HTTP: pages, assets, caching and the security headers. */
let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer();
  base = server.app.url.replace(/\/graphql$/, '');
});
afterAll(() => server.close());

const assetsOf = (html: string) => [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);

it('serves the console at / and at every client route, never cached, under a strict CSP', async () => {
  for (const path of ['/', '/queues/UNSIGNED_USERS', '/claimants/42', '/agent']) {
    const response = await fetch(base + path);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe|https?:/);
    expect(await response.text()).toContain('<script type="module"');
  }
  expect((await fetch(`${base}/nowhere`)).status).toBe(404);
});

it('serves every asset the page names under its build id, cached for a year, gzipped, revalidated by etag', async () => {
  const html = await (await fetch(base)).text();
  const assets = assetsOf(html);
  expect(assets.length).toBeGreaterThanOrEqual(4);
  for (const asset of assets) {
    const response = await fetch(base + asset, { headers: { 'accept-encoding': 'gzip' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('content-encoding')).toBe('gzip');
    const again = await fetch(base + asset, { headers: { 'if-none-match': response.headers.get('etag')! } });
    expect(again.status).toBe(304);
  }
  // What the main module imports resolves under the same build id (no CDN, no bare specifiers).
  const main = await (await fetch(base + assets.find((a) => a.endsWith('/main.js'))!)).text();
  expect(main).not.toMatch(/from ['"](?!\.)/);
});

it('serves nothing outside the console\'s files, and no HTML page as an asset', async () => {
  const id = /\/assets\/([0-9a-f]{12})\//.exec(await (await fetch(base)).text())![1];
  for (const path of [`/assets/${id}/../../package.json`, `/assets/${id}/%2e%2e/config.ts`, `/assets/${id}/index.html`, `/assets/${id}/nope.js`]) {
    expect((await fetch(base + path)).status).toBe(404);
  }
});

it('gives a browser opening /graphql the IDE, and API clients the API as before', async () => {
  const ide = await fetch(`${base}/graphql`, { headers: { accept: 'text/html,application/xhtml+xml' } });
  expect(ide.status).toBe(200);
  const page = await ide.text();
  expect(page).toContain('vendor/graphiql.js');
  expect(page).not.toMatch(/https?:\/\/(?!localhost)/); // nothing from a CDN
  const api = await fetch(`${base}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/json', authorization: 'Bearer test-admin-key-0123456789abcdef', 'apollo-require-preflight': 'true' } });
  expect(await api.json()).toEqual({ data: { __typename: 'Query' } });
  expect((await server.admin.data('{ viewer { role } }')).viewer.role).toBe('ADMIN');
});
