import path from 'node:path';

/**
 * A require for ES modules (the browser-side console modules, puppeteer-core,
 * @sparticuz/chromium) from the CommonJS tests. Jest 30 loads them through its own registry
 * when Node's VM modules are on (`npm test` runs jest with --experimental-vm-modules; Node 26
 * evaluates them synchronously), so `require` of ESM works as in Node itself.
 */
const { createRequire } = process.getBuiltinModule('node:module') as typeof import('node:module');
export const nativeRequire = createRequire(path.join(process.cwd(), 'package.json'));

/** The console's GraphQL documents, exactly as the page sends them. */
export const consoleDocuments = () => nativeRequire('./src/console/documents.js') as typeof import('../../src/console/documents.js');
