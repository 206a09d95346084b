import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, parse, specifiedRules, validate, type ExecutionArgs } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Config } from './config.js';
import { createOrm, migrateUp, pendingMigrations, type Orm } from './db/orm.js';
import { queryRows, sql } from './db/sql.js';
import { createFormatError } from './graphql/errors.js';
import type { GraphQLContext } from './graphql/context.js';
import { depthLimit } from './graphql/depth-limit.js';
import { BodyTooLarge, executeGraphQL, readBody, sendGraphQLError, sendJson } from './graphql/http.js';
import { createLoaders } from './graphql/loaders.js';
import { buildGraphQLSchema } from './graphql/schema.js';
import type { Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { ApiKeyResolver, countApiKeys, createApiKey, type Caller } from './modules/auth/api-keys.js';
import { pgNotifyPublisher } from './modules/events/events.js';
import { EventHub } from './modules/events/hub.js';
import { EventListener } from './modules/events/listener.js';
import type { LiveConnection } from './graphql/live.js';
import { SharedSubscriptions } from './graphql/shared-subscriptions.js';
import { queueSettings } from './modules/operation.js';
import { MigrationPhaseWatcher } from './modules/migration/phase-watcher.js';
import { QueueMigration } from './modules/migration/migration.service.js';
import { Repopulation } from './modules/repopulation/repopulation.service.js';
import { markMissedCallbacks, notifyDueCallbacks } from './modules/callback/callback-jobs.js';
import { Scheduler } from './jobs/scheduler.js';
import { applyLineLimit, reapLines } from './modules/call/lines.service.js';

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

const GRAPHQL_PATH = '/graphql';

function bearer(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return match ? match[1]! : null;
}

/** First start: with no key at all and no ADMIN_API_KEY, create one ADMIN key and show it once. */
async function ensureFirstAdminKey(orm: Orm, config: Config, announce?: (key: string) => void): Promise<void> {
  if (config.ADMIN_API_KEY) return;
  await orm.em.fork().transactional(async (em) => {
    // Instances starting together: one creates the key, the others wait and see it.
    await queryRows(em, sql`SELECT pg_advisory_xact_lock(hashtext('callqueue.first-admin-key'))`);
    if ((await countApiKeys(em)) > 0) return;
    const created = await createApiKey(em, { role: 'ADMIN', label: 'created at first start' });
    announce?.(created.key);
  });
}

export async function createApp({ config, databaseUrl, logger, announceAdminKey }: AppOptions): Promise<App> {
  const metrics = createMetrics();
  const orm = await createOrm({ url: databaseUrl, poolSize: config.DB_POOL_SIZE, onStatement: () => metrics.dbStatements.inc() });
  const applied = await migrateUp(orm);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  await ensureFirstAdminKey(orm, config, announceAdminKey);

  const schema = buildGraphQLSchema();
  const keys = new ApiKeyResolver(config.ADMIN_API_KEY, config.API_KEY_CACHE_SECONDS * 1000);
  const formatError = createFormatError(logger);
  const settings = queueSettings(config);
  const validationRules = [...specifiedRules, depthLimit(config.MAX_QUERY_DEPTH)];

  // Events of every instance reach this one's subscribers through one LISTEN connection.
  const hub = new EventHub();
  const listener = new EventListener({
    url: databaseUrl, hub, logger, onState: (connected) => metrics.listenerConnected.set(connected ? 1 : 0),
  });
  await listener.start();

  // Every instance follows the migration phase stored in the database.
  const phases = new MigrationPhaseWatcher({ orm, logger, metrics, pollMs: config.MIGRATION_PHASE_POLL_MS });
  await phases.start();
  const migration = new QueueMigration({ orm, databaseUrl, events: pgNotifyPublisher, logger, watcher: phases });

  const repopulation = new Repopulation({
    orm, databaseUrl, events: pgNotifyPublisher, logger, metrics, topN: config.QUEUE_TOP_N,
  });
  const scheduler = new Scheduler(logger);
  const jobOperation = (actor: string) => ({ em: orm.em.fork(), events: pgNotifyPublisher, queues: phases.queues(), settings, actor });
  await applyLineLimit(jobOperation('start'), config.MAX_CONCURRENT_CALLS);
  scheduler.add({
    name: 'repopulation', cron: config.REPOPULATE_CRON, timezone: config.REPOPULATE_TIMEZONE,
    run: (tick) => repopulation.run('cron', { actor: 'cron', tick }),
  });
  scheduler.add({
    name: 'lines', cron: config.LINES_JOB_CRON, timezone: 'UTC',
    run: () => reapLines(jobOperation('job:lines')),
  });
  scheduler.add({
    name: 'callbacks', cron: config.CALLBACK_JOB_CRON, timezone: 'UTC',
    run: async () => {
      await notifyDueCallbacks(jobOperation('job:callbacks'));
      await markMissedCallbacks(jobOperation('job:callbacks'), config.CALLBACK_GRACE_MINUTES);
    },
  });

  /** Resolves the presented key; no key or an unknown one is refused before execution. */
  async function authenticate(authorization: unknown): Promise<Caller> {
    const key = bearer(authorization);
    if (!key) {
      throw new GraphQLError('an API key is required: send "Authorization: Bearer <key>"', {
        extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
      });
    }
    const caller = await keys.resolve(orm.em.fork(), key);
    if (!caller) {
      throw new GraphQLError('the API key presented is unknown or revoked', {
        extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
      });
    }
    return caller;
  }

  const newScope = () => {
    const em = orm.em.fork();
    return { em, loaders: createLoaders(em, phases) };
  };
  /** One read scope per received event, shared by its subscribers; gone with the event. */
  const eventScopes = new WeakMap<object, ReturnType<typeof newScope>>();
  const eventScope = (event: object) => {
    let scope = eventScopes.get(event);
    if (!scope) eventScopes.set(event, (scope = newScope()));
    return scope;
  };

  function buildContext(caller: Caller, requestId: string, live: LiveConnection | null = null): GraphQLContext {
    const em = orm.em.fork();
    const ctx: GraphQLContext = {
      requestId, caller, em, loaders: createLoaders(em, phases), events: pgNotifyPublisher, config, settings,
      queues: phases.queues(), metrics, live, repopulation, migration, phases,
      logger: logger.child({ requestId }),
      renew(event) {
        const scope = event ? eventScope(event) : newScope();
        ctx.em = scope.em;
        ctx.loaders = scope.loaders;
      },
    };
    return ctx;
  }

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: config.INTROSPECTION,
    validationRules: [depthLimit(config.MAX_QUERY_DEPTH)],  // Apollo adds the specified rules
    formatError: (formatted, error) => {
      const out = formatError(formatted, error);
      metrics.graphqlErrors.inc({ code: String(out.extensions?.code ?? 'UNKNOWN') });
      return out;
    },
    // Cache hints are unused (no HTTP caching of a live queue) and cost a hook on every field.
    plugins: [ApolloServerPluginCacheControlDisabled(), {
      async requestDidStart() {
        return {
          async didResolveOperation({ operation }) {
            if (operation?.operation !== 'subscription') return;
            throw new GraphQLError('subscriptions are served over WebSocket (graphql-ws) on /graphql, not over HTTP', {
              extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
            });
          },
        };
      },
    }],
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
  });
  await apollo.start();

  async function ready(): Promise<{ ok: boolean; pending: string[]; error?: string }> {
    try {
      await queryRows(orm.em.fork(), sql`SELECT 1`);
      const pending = await pendingMigrations(orm);
      return { ok: pending.length === 0, pending };
    } catch (error) {
      logger.warn({ err: error }, 'readiness check failed');
      return { ok: false, pending: [], error: 'database unreachable' };
    }
  }

  let draining = false;
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = url.pathname;
    const started = process.hrtime.bigint();
    const requestId = (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].slice(0, 100)) || randomUUID();
    res.setHeader('x-request-id', requestId);
    // While draining, tell keep-alive clients not to reuse the connection.
    if (draining) res.setHeader('connection', 'close');
    let status = 500;
    try {
      if (route === '/healthz') {
        status = draining ? 503 : 200;
        sendJson(res, status, { status: draining ? 'draining' : 'ok' });
      } else if (route === '/readyz') {
        const state = await ready();
        status = state.ok && !draining ? 200 : 503;
        sendJson(res, status, { status: status === 200 ? 'ready' : 'not ready', pendingMigrations: state.pending, ...(state.error ? { error: state.error } : {}) });
      } else if (route === '/metrics') {
        status = 200;
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
      } else if (route === GRAPHQL_PATH) {
        status = await handleGraphQL(req, res, requestId);
      } else {
        status = 404;
        sendJson(res, 404, { error: `nothing at ${route}; the API is at ${GRAPHQL_PATH}` });
      }
    } catch (error) {
      logger.error({ err: error, requestId }, 'request failed');
      if (!res.headersSent) sendGraphQLError(res, 500, 'INTERNAL_SERVER_ERROR', 'Unexpected error');
      else res.end();
    } finally {
      metrics.httpRequests.inc({ route: ['/healthz', '/readyz', '/metrics', GRAPHQL_PATH].includes(route) ? route : 'other', status });
      if (route === GRAPHQL_PATH) {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        metrics.graphqlDuration.observe(seconds);
        logger.debug({ requestId, status, ms: Math.round(seconds * 1000) }, 'graphql request');
      }
    }
  });

  async function handleGraphQL(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<number> {
    let body: unknown = undefined;
    if (req.method === 'POST') {
      let text: string;
      try {
        text = await readBody(req, config.MAX_BODY_BYTES);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        res.setHeader('connection', 'close');
        sendGraphQLError(res, 413, 'BAD_REQUEST', `the request body is larger than the ${config.MAX_BODY_BYTES} bytes allowed`);
        return 413;
      }
      const type = req.headers['content-type'] ?? '';
      if (type.includes('application/json') || type.includes('application/graphql-response+json')) {
        try {
          body = JSON.parse(text);
        } catch {
          sendGraphQLError(res, 400, 'BAD_REQUEST', 'the request body is not valid JSON; send {"query": "...", "variables": {...}}');
          return 400;
        }
      } else {
        body = text;
      }
    }
    return executeGraphQL(apollo, req, res, body, async () =>
      buildContext(await authenticate(req.headers.authorization), requestId));
  }

  const shared = new SharedSubscriptions(config.SUBSCRIPTION_BUFFER, (count) => metrics.subscriptions.set(count));
  const wsServer = new WebSocketServer({ server, path: GRAPHQL_PATH, maxPayload: config.MAX_BODY_BYTES });
  /** Errors over WebSocket get the same masking and codes as over HTTP (Apollo tags these two). */
  const withCode = (error: GraphQLError, code: string) =>
    new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { code } });
  const formatAll = (errors: readonly GraphQLError[]) => errors.map((e) => {
    const out = formatError(e.toJSON(), e);
    metrics.graphqlErrors.inc({ code: String(out.extensions?.code ?? 'UNKNOWN') });
    return out;
  });
  const wsCleanup = useServer<{ authorization?: string }, { caller?: Caller }>({
    schema,
    // Never put an internal error's message in a close reason.
    isProd: true,
    subscribe: (args) => shared.subscribe(args),
    onConnect: async (ctx) => {
      try {
        ctx.extra.caller = await authenticate(ctx.connectionParams?.authorization);
        return true;
      } catch (error) {
        const reason = error instanceof GraphQLError ? error.message : 'authentication failed';
        ctx.extra.socket.close(CloseCode.Unauthorized, `Unauthorized: ${reason.replace('"Authorization: Bearer <key>"', 'connectionParams.authorization')}`.slice(0, 120));
        return false;
      }
    },
    // Parse and validate with the HTTP rules (depth limit included).
    onSubscribe: (ctx, _id, payload) => {
      let document;
      try {
        document = parse(payload.query);
      } catch (error) {
        return [withCode(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')];
      }
      const errors = validate(schema, document, validationRules);
      if (errors.length > 0) return errors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED'));
      const socket = ctx.extra.socket;
      const live: LiveConnection = {
        hub, bufferLimit: config.SUBSCRIPTION_BUFFER, statsIntervalMs: config.QUEUE_STATS_INTERVAL_MS,
        drop: (code, reason) => socket.close(code, reason),
      };
      const args: ExecutionArgs = {
        schema, document, operationName: payload.operationName, variableValues: payload.variables,
        contextValue: buildContext(ctx.extra.caller!, randomUUID(), live),
      };
      return args;
    },
    onNext: (_ctx, _id, _payload, _args, result) =>
      (result.errors ? { ...result, errors: formatAll(result.errors) } : result) as never,
    onError: (_ctx, _id, _payload, errors) => formatAll(errors),
  }, wsServer, config.WS_KEEPALIVE_MS);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, path: GRAPHQL_PATH }, 'callqueue is listening');
  scheduler.start();

  let closing: Promise<void> | null = null;
  async function shutdown(): Promise<void> {
    draining = true;
    logger.info('shutting down: draining HTTP and WebSocket clients');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Connections that finish their last response become idle later: sweep them as they do.
    const sweep = setInterval(() => server.closeIdleConnections(), 25);
    server.closeIdleConnections();
    await wsCleanup.dispose();
    for (const client of wsServer.clients) client.close(1001, 'server shutting down');
    wsServer.close();
    // No subscriber is left: stop listening before the database may go away.
    await listener.stop();
    const forced = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_GRACE_MS);
    await closed;
    clearInterval(sweep);
    clearTimeout(forced);
    await scheduler.stop();
    await migration.stop();
    phases.stop();
    await apollo.stop();
    await orm.close(true);
    logger.info('shut down');
  }

  return {
    port,
    url: `http://127.0.0.1:${port}${GRAPHQL_PATH}`,
    orm,
    metrics,
    liveSubscriptions: () => shared.active,
    close: () => (closing ??= shutdown()),
  };
}
