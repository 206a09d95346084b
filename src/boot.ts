import { createApp, type App } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/database.js';
import { EmbeddedPostgresError } from './db/embedded.js';
import { loadDemoData } from './demo/demo-data.sql.js';
import { createLogger } from './logger.js';

/** Boot (loaded by main.ts once the runtime is checked): config → database → server; SIGTERM/SIGINT drain everything, then stop Postgres. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee the configuration table in README.md.\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const demo = process.argv.includes('--demo');

  const database = await openDatabase(config, logger);

  let app: App;
  try {
    app = await createApp({
      config, databaseUrl: database.url, logger,
      announceAdminKey: (key) => process.stdout.write(
        `\n  First start: created an ADMIN API key. It is shown only now; keep it safe:\n\n    ${key}\n\n` +
        `  Use it as "Authorization: Bearer ${key.slice(0, 6)}…". More keys: the createApiKey mutation or npm run apikey:create.\n\n`),
    });
  } catch (error) {
    await database.stop();
    throw error;
  }
  if (demo) {
    try {
      const summary = await loadDemoData(app.orm.em.fork());
      logger.info(summary, summary.loaded ? 'demo data loaded' : 'demo data already present');
    } catch (error) {
      await app.close();
      await database.stop();
      throw error;
    }
  }
  logger.info({ url: `http://localhost:${app.port}/graphql` }, 'ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await app.close();
    await database.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof EmbeddedPostgresError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`callqueue failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  }
  process.exit(1);
});
