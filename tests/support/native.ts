import path from 'node:path';

/**
 * Node's own require, outside jest's module registry (reached through
 * process.getBuiltinModule, which jest does not wrap). It loads ES modules (Node 20.19+), which
 * jest's CommonJS registry cannot: the browser-side console modules, puppeteer-core.
 */
const { createRequire } = process.getBuiltinModule('node:module') as typeof import('node:module');
export const nativeRequire = createRequire(path.join(process.cwd(), 'package.json'));

/** The console's GraphQL documents, exactly as the page sends them. */
export const consoleDocuments = () => nativeRequire('./src/console/documents.js') as typeof import('../../src/console/documents.js');
