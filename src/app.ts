import type { Config } from './config.js';
import { createOrm, migrateUp, pendingMigrations, type Orm } from './db/orm.js';
import { ping } from './db/health.sql.js';
import { authenticator } from './graphql/auth.js';
import { contextBuilder } from './graphql/context.js';
import { buildGraphQLSchema } from './graphql/schema.js';
import { GRAPHQL_PATH, startGraphQLServer } from './graphql/server.js';
import { addJobs, jobOperation } from './jobs/jobs.js';
import { Scheduler } from './jobs/scheduler.js';
import type { Logger } from './logger.js';
import { createMetrics, registerStuckWork, type Metrics } from './metrics.js';
import { ApiKeyResolver, ensureFirstAdminKey, touchKeyLater } from './modules/auth/api-keys.js';
import { stuckWork } from './modules/queue/diagnostics.sql.js';
import { loadQueueStats } from './modules/queue/queue.service.js';
import { QUEUE_TYPES } from './modules/queue-type.js';
import { applyLineLimit } from './modules/call/lines.service.js';
import { pgNotifyPublisher } from './modules/events/events.js';
import { EventHub } from './modules/events/hub.js';
import { EventListener } from './modules/events/listener.js';
import { MissedEvents } from './modules/events/catch-up.js';
import { QueueMigration } from './modules/migration/migration.service.js';
import { MigrationPhaseWatcher } from './modules/migration/phase-watcher.js';
import { queueSettings } from './modules/operation.js';
import { Repopulation } from './modules/repopulation/repopulation.service.js';
import { WebhookWorker } from './modules/webhooks/delivery-worker.js';
import { SecretKeeper } from './modules/webhooks/secret-keeper.js';
import { WebhookSender } from './modules/webhooks/sender.js';

export interface App {
  /** The port the server listens on (useful with PORT=0). */
  port: number;
  url: string;
  orm: Orm;
  metrics: Metrics;
  /** Subscriptions listening on this instance now (a subscribe is registered once this counts it). */
  liveSubscriptions(): number;
  /** Drains and stops everything; safe to call more than once. */
  close(): Promise<void>;
}

export interface AppOptions {
  config: Config;
  databaseUrl: string;
  logger: Logger;
  /** Print the generated first ADMIN key here (stdout in `npm start`); never to the log. */
  announceAdminKey?: (key: string) => void;
}

/** Wires one instance: database, event listener, phase watcher, jobs, GraphQL server; and its shutdown order. */
export async function createApp({ config, databaseUrl, logger, announceAdminKey }: AppOptions): Promise<App> {
  const metrics = createMetrics();
  const orm = await createOrm({ url: databaseUrl, poolSize: config.DB_POOL_SIZE, onStatement: () => metrics.dbStatements.inc() });
  const applied = await migrateUp(orm);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  if (!config.ADMIN_API_KEY) await ensureFirstAdminKey(orm.em.fork(), announceAdminKey);

  // Events of every instance reach this one's subscribers through one LISTEN connection.
  const hub = new EventHub();
  const listener = new EventListener({
    url: databaseUrl, hub, logger, onState: (connected) => metrics.listenerConnected.set(connected ? 1 : 0),
    missed: new MissedEvents(() => orm.em.fork()), safePointMs: config.EVENT_SAFE_POINT_MS,
  });
  await listener.start();

  // Every instance follows the migration phase stored in the database.
  const phases = new MigrationPhaseWatcher({ orm, logger, metrics, pollMs: config.MIGRATION_PHASE_POLL_MS });
  await phases.start();

  const events = pgNotifyPublisher;
  const settings = queueSettings(config);
  const migration = new QueueMigration({ orm, databaseUrl, events, logger, watcher: phases });
  const repopulation = new Repopulation({ orm, databaseUrl, events, logger, metrics, topN: config.QUEUE_TOP_N });
  const secrets = new SecretKeeper(config.WEBHOOK_SECRETS_KEY);
  if (!secrets.configured) logger.warn('WEBHOOK_SECRETS_KEY is not set: webhook secrets are sealed with a key kept in the database (set it in production)');
  const webhooks = { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE, secrets };
  const services = { orm, config, logger, metrics, events, settings, phases, migration, repopulation, webhooks };

  const scheduler = new Scheduler(logger);
  await applyLineLimit(jobOperation(services, 'start'), config.MAX_CONCURRENT_CALLS);
  addJobs(scheduler, services);

  const keys = new ApiKeyResolver(config.ADMIN_API_KEY, config.API_KEY_CACHE_SECONDS * 1000,
    touchKeyLater(() => orm.em.fork(), (error) => logger.warn({ err: error }, 'could not record when a key was last used')));
  // A key revoked through any instance (or by SQL) is dropped here at once; after a gap in the
  // feed, every key is read again.
  hub.on((signal) => {
    if (signal.topic === 'apiKeyChanged') keys.forget(signal.keyId);
    else if (signal.topic === 'resync') keys.forgetAll();
  });
  registerStuckWork(metrics, async () => {
    const em = orm.em.fork();
    const [stuck, queues] = await Promise.all([
      stuckWork(em, config.CALL_MAX_DURATION_SECONDS, config.CALLBACK_GRACE_MINUTES),
      loadQueueStats(em.fork(), phases, QUEUE_TYPES),
    ]);
    return { ...stuck, queues: [...queues].map(([queueType, q]) => ({ queueType, pending: q.depth, availableNow: q.availableNow })) };
  });
  const server = await startGraphQLServer({
    config, logger, metrics, hub,
    schema: buildGraphQLSchema(),
    authenticate: authenticator(orm, keys),
    buildContext: contextBuilder(services),
    async ready() {
      try {
        await ping(orm.em.fork());
        const pending = await pendingMigrations(orm);
        return { ok: pending.length === 0, pending };
      } catch (error) {
        logger.warn({ err: error }, 'readiness check failed');
        return { ok: false, pending: [], error: 'database unreachable' };
      }
    },
  });
  scheduler.start();
  const webhookWorker = new WebhookWorker({
    em: () => orm.em.fork(), hub, logger, secrets, retryHours: config.WEBHOOK_RETRY_HOURS,
    sender: new WebhookSender({ timeoutMs: config.WEBHOOK_TIMEOUT_MS, allowPrivate: config.WEBHOOK_ALLOW_PRIVATE }),
    concurrency: config.WEBHOOK_CONCURRENCY, perEndpoint: config.WEBHOOK_CONCURRENCY_PER_ENDPOINT,
    leaseMs: config.WEBHOOK_TIMEOUT_MS + 30_000, pollMs: config.WEBHOOK_POLL_MS, onAttempt: (result) => metrics.webhookAttempts.inc({ result }),
  });
  webhookWorker.start();

  async function shutdown(): Promise<void> {
    // No subscriber is left once the server has closed its WebSockets: stop listening then,
    // before the database may go away.
    await server.drain(() => listener.stop());
    await scheduler.stop();
    await webhookWorker.stop();
    await migration.stop();
    phases.stop();
    await server.stop();
    await orm.close(true);
    logger.info('shut down');
  }

  let closing: Promise<void> | null = null;
  return {
    port: server.port,
    url: `http://127.0.0.1:${server.port}${GRAPHQL_PATH}`,
    orm,
    metrics,
    liveSubscriptions: () => server.liveSubscriptions(),
    close: () => (closing ??= shutdown()),
  };
}
