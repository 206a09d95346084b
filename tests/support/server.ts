import { createApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { GraphQLClient } from './client.js';

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface TestServer {
  app: App;
  db: TestDatabase;
  /** A client with the ADMIN key of the environment. */
  admin: GraphQLClient;
  client(key?: string | null): GraphQLClient;
  /** Another instance on the same database (for multi-instance tests). */
  startAnother(env?: Record<string, string>): Promise<App>;
  close(): Promise<void>;
}

/**
 * Tests seed entries with the priorities they need: the periodic jobs that rewrite them
 * (repopulation, the priority refresh) are off unless a test switches them on or calls them.
 * Rate limits, the lease job and the queue samples are off too, unless a test sets them.
 */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', REPOPULATE_CRON: '', PRIORITY_REFRESH_CRON: '', ADMIN_API_KEY: TEST_ADMIN_KEY,
    // Tests drive one key hard on purpose; the limits have tests of their own.
    RATE_LIMIT_PER_MINUTE: '0', MAX_WS_CONNECTIONS_PER_KEY: '1000',
    // Jobs whose statements would land inside measured requests: on where a test asks.
    LEASE_JOB_CRON: '', QUEUE_SAMPLE_CRON: '', LIVE_COUNTS_CRON: '',
    DB_POOL_SIZE: '10', ...env,
  });
}

/** A server on a random port over a fresh database; close() stops it and drops the database. */
export async function startTestServer(env: Record<string, string> = {}, db?: TestDatabase): Promise<TestServer> {
  const database = db ?? (await createTestDatabase());
  const logger = createLogger(env.LOG_LEVEL ?? 'silent');
  const apps: App[] = [];
  const start = async (extra: Record<string, string> = {}) => {
    const app = await createApp({ config: testConfig({ ...env, ...extra }), databaseUrl: database.url, logger });
    apps.push(app);
    return app;
  };
  const app = await start();
  return {
    app,
    db: database,
    admin: new GraphQLClient(app.url, TEST_ADMIN_KEY),
    client: (key) => new GraphQLClient(app.url, key ?? null),
    startAnother: start,
    close: async () => {
      await Promise.all(apps.map((a) => a.close()));
      await database.drop();
    },
  };
}
