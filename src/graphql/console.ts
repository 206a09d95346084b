import crypto from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { projectRoot } from '../paths.js';

/**
 * The console and the GraphQL IDE over HTTP: static files read once at start, no build step.
 * The console's own ES modules (src/console/) and the few libraries it imports (from
 * node_modules, as their packages ship them) are served under /assets/<build id>/, where the
 * build id is a hash of every file: a URL's content never changes, so browsers keep assets for
 * a year, and a new release is a new URL. The HTML pages are never cached. Everything runs under
 * a strict Content-Security-Policy: scripts, styles and connections from this origin only.
 */

/** Libraries the browser loads, from the npm packages they come in: served path → file under node_modules. */
const VENDOR: Record<string, string> = {
  'vendor/htm-preact.js': 'htm/preact/standalone.module.js',
  'vendor/uplot.js': 'uplot/dist/uPlot.esm.js',
  'vendor/uplot.css': 'uplot/dist/uPlot.min.css',
  'vendor/graphql-ws/client.js': 'graphql-ws/dist/client.js',
  'vendor/react.js': 'react/umd/react.production.min.js',
  'vendor/react-dom.js': 'react-dom/umd/react-dom.production.min.js',
  'vendor/graphiql.js': 'graphiql/graphiql.min.js',
  'vendor/graphiql.css': 'graphiql/graphiql.min.css',
};

/** Client-side routes of the console: each is served the same document. */
const CONSOLE_ROUTES = [/^\/$/, /^\/queues\/[A-Z_]+$/, /^\/claimants\/\d+$/, /^\/(agent|lines|repopulation|migration|keys)$/];

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const STRICT = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');
/** GraphiQL's editor injects its styles as <style> elements at run time, and its stylesheet embeds its fonts. */
const IDE = STRICT.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace("font-src 'self'", "font-src 'self' data:");

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

export interface ConsoleFiles {
  /** The hash in every asset URL. */
  buildId: string;
  /** Bytes of the console's JavaScript and CSS (its own and its libraries', not the IDE's), gzipped. */
  gzippedBytes: number;
  /** Serves a console page or asset; false when the route is not the console's. */
  serve(req: IncomingMessage, res: ServerResponse, route: string): boolean;
  /** Serves the GraphQL IDE when a browser opens /graphql; false for API clients. */
  serveIde(req: IncomingMessage, res: ServerResponse): boolean;
}

function asset(file: string, body: Buffer): Asset {
  return {
    type: TYPES[path.extname(file)] ?? 'application/octet-stream',
    body,
    gzip: zlib.gzipSync(body, { level: 9 }),
    etag: `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

/** graphql-ws's browser client imports one shared chunk whose name carries its own hash. */
function graphqlWsChunks(modules: string): Record<string, string> {
  const dir = path.join(modules, 'graphql-ws/dist');
  return Object.fromEntries(fs.readdirSync(dir).filter((f) => /^common-[\w-]+\.js$/.test(f))
    .map((f) => [`vendor/graphql-ws/${f}`, `graphql-ws/dist/${f}`]));
}

export function loadConsoleFiles(): ConsoleFiles {
  const root = projectRoot();
  const own = path.join(root, 'src/console');
  const modules = path.join(root, 'node_modules');
  const files = new Map<string, Buffer>();
  const walk = (dir: string, prefix: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(dir, entry.name), `${prefix}${entry.name}/`);
      else if (TYPES[path.extname(entry.name)]) files.set(`${prefix}${entry.name}`, fs.readFileSync(path.join(dir, entry.name)));
    }
  };
  walk(own, '');
  for (const [served, file] of Object.entries({ ...VENDOR, ...graphqlWsChunks(modules) })) {
    files.set(served, fs.readFileSync(path.join(modules, file)));
  }
  const hash = crypto.createHash('sha256');
  for (const [name, body] of [...files].sort(([a], [b]) => a.localeCompare(b))) hash.update(name).update(body);
  const buildId = hash.digest('hex').slice(0, 12);

  const assets = new Map<string, Asset>();
  for (const [name, body] of files) {
    // Pages name their assets by the build id: filled in here, so the HTML never goes stale.
    assets.set(name, asset(name, name.endsWith('.html') ? Buffer.from(body.toString('utf8').replaceAll('%BUILD%', buildId)) : body));
  }
  const gzippedBytes = [...assets].filter(([name, a]) => !name.endsWith('.html') && !/graphiql|react/.test(name) && a.type !== TYPES['.svg'])
    .reduce((n, [, a]) => n + a.gzip.length, 0);

  function send(req: IncomingMessage, res: ServerResponse, a: Asset, headers: Record<string, string>): void {
    const base = { 'content-type': a.type, etag: a.etag, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', vary: 'accept-encoding', ...headers };
    if (req.headers['if-none-match'] === a.etag) {
      res.writeHead(304, base);
      res.end();
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? a.gzip : a.body;
    res.writeHead(200, { ...base, 'content-length': String(body.length), ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  const page = (name: string, csp: string) => (req: IncomingMessage, res: ServerResponse) =>
    send(req, res, assets.get(name)!, { 'cache-control': 'no-cache', 'content-security-policy': csp, 'x-frame-options': 'DENY' });
  const index = page('index.html', STRICT);
  const ide = page('graphiql.html', IDE);

  return {
    buildId,
    gzippedBytes,
    serve(req, res, route) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      const match = /^\/assets\/([0-9a-f]{12})\/([\w./-]+)$/.exec(route);
      if (match) {
        const found = match[2]!.includes('..') ? undefined : assets.get(match[2]!);
        if (!found || match[2]!.endsWith('.html')) return false;
        // An asset asked for by an older build's page: served, but not cached as that build's.
        send(req, res, found, { 'cache-control': match[1] === buildId ? 'public, max-age=31536000, immutable' : 'no-cache' });
        return true;
      }
      if (!CONSOLE_ROUTES.some((r) => r.test(route))) return false;
      index(req, res);
      return true;
    },
    serveIde(req, res) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const browser = req.method === 'GET' && !url.searchParams.has('query') && /\btext\/html\b/.test(String(req.headers.accept ?? ''));
      if (browser) ide(req, res);
      return browser;
    },
  };
}
