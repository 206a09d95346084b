import type { Config } from '../config.js';
import { openDatabase } from '../db/database.js';
import { createOrm, type Orm } from '../db/orm.js';
import type { Logger } from '../logger.js';

/**
 * Runs one command-line task against the configured database (embedded or DATABASE_URL) and
 * closes everything after; a failure prints its message alone and exits 1.
 */
export function runWithDatabase(config: Config, logger: Logger, task: (orm: Orm) => Promise<void>): void {
  const run = async () => {
    const database = await openDatabase(config, logger);
    const orm = await createOrm({ url: database.url, poolSize: 2 });
    try {
      await task(orm);
    } finally {
      await orm.close(true);
      await database.stop();
    }
  };
  run().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

/** A refused command line: the message alone on stderr, exit 1. */
export function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
