import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { getOperationAST, GraphQLError, parse, specifiedRules, validate, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Caller } from '../modules/auth/api-keys.js';
import type { EventHub } from '../modules/events/hub.js';
import type { Authenticate } from './auth.js';
import type { BuildContext, GraphQLContext, LiveConnection } from './context.js';
import { depthLimit } from './depth-limit.js';
import { admissionRefusal, costLimits } from './cost.js';
import { KeySockets } from './key-sockets.js';
import { RateLimiter, rateLimitMessage } from './rate-limit.js';
import { CompiledQueries } from './compiled-queries.js';
import { createFormatError } from './errors.js';
import { loadConsoleFiles } from './console.js';
import { BodyTooLarge, executeGraphQL, readBody, sendGraphQLError, sendJson } from './http.js';
import { SharedSubscriptions } from './shared-subscriptions.js';

export const GRAPHQL_PATH = '/graphql';
/** WebSocket close code: the key has as many connections open here as it may. */
export const TOO_MANY_CONNECTIONS = 4429;

export interface ServerOptions {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  schema: GraphQLSchema;
  hub: EventHub;
  authenticate: Authenticate;
  buildContext: BuildContext;
  /** `/readyz`: database reachable and no migration pending. */
  ready(): Promise<{ ok: boolean; pending: string[]; error?: string }>;
}

export interface GraphQLServer {
  port: number;
  /** Subscriptions listening on this instance now. */
  liveSubscriptions(): number;
  /**
   * Stops taking requests and finishes those in flight: WebSockets close first (1001), then
   * `afterSubscriptions` runs (the event listener stops while the database is still there),
   * then HTTP connections drain within SHUTDOWN_GRACE_MS.
   */
  drain(afterSubscriptions: () => Promise<void>): Promise<void>;
  /** Stops Apollo, after draining. */
  stop(): Promise<void>;
}

/** One Node http server: /graphql over HTTP (Apollo) and WebSocket (graphql-ws), /healthz, /readyz, /metrics. */
export async function startGraphQLServer(options: ServerOptions): Promise<GraphQLServer> {
  const { config, logger, metrics } = options;
  const formatError = createFormatError(logger);
  const apollo = await startApollo(options, formatError);
  const consoleFiles = loadConsoleFiles();
  const limiter = new RateLimiter(config.RATE_LIMIT_PER_MINUTE, config.RATE_LIMIT_BURST);

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
        const state = await options.ready();
        status = state.ok && !draining ? 200 : 503;
        sendJson(res, status, { status: status === 200 ? 'ready' : 'not ready', pendingMigrations: state.pending, ...(state.error ? { error: state.error } : {}) });
      } else if (route === '/metrics') {
        status = 200;
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
      } else if (route === GRAPHQL_PATH) {
        status = consoleFiles.serveIde(req, res) ? 200 : await handleGraphQL(req, res, requestId);
      } else if (consoleFiles.serve(req, res, route)) {
        status = res.statusCode;
      } else {
        status = 404;
        sendJson(res, 404, { error: `nothing at ${route}; the console is at /, the API at ${GRAPHQL_PATH}` });
      }
    } catch (error) {
      logger.error({ err: error, requestId }, 'request failed');
      if (!res.headersSent) sendGraphQLError(res, 500, 'INTERNAL_SERVER_ERROR', 'Unexpected error');
      else res.end();
    } finally {
      metrics.httpRequests.inc({ route: ['/healthz', '/readyz', '/metrics', GRAPHQL_PATH].includes(route) ? route : route.startsWith('/assets/') ? '/assets' : 'other', status });
      if (route === GRAPHQL_PATH) {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        metrics.graphqlDuration.observe(seconds);
        logger.debug({ requestId, status, ms: Math.round(seconds * 1000) }, 'graphql request');
      }
    }
  });

  async function handleGraphQL(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<number> {
    // Who, and within their budget, before the body is read.
    let caller: Caller;
    try {
      caller = await options.authenticate(req.headers.authorization);
    } catch (error) {
      if (!(error instanceof GraphQLError) || error.extensions.code !== 'UNAUTHENTICATED') throw error;
      req.resume();
      metrics.graphqlErrors.inc({ code: 'UNAUTHENTICATED' });
      sendGraphQLError(res, 401, 'UNAUTHENTICATED', error.message);
      return 401;
    }
    const retryAfter = limiter.take(caller);
    if (retryAfter !== null) {
      req.resume();
      res.setHeader('retry-after', String(retryAfter));
      metrics.graphqlErrors.inc({ code: 'RATE_LIMITED' });
      sendGraphQLError(res, 429, 'RATE_LIMITED', rateLimitMessage(config.RATE_LIMIT_PER_MINUTE, retryAfter));
      return 429;
    }
    let body: unknown = undefined;
    if (req.method === 'POST') {
      let text: string;
      try {
        text = await readBody(req, config.MAX_BODY_BYTES);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        // The rest of the body is read and dropped (readBody resumed the stream) rather than the
        // connection closed under a client still sending, which it would see as a reset, not a 413.
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
    return executeGraphQL(apollo, req, res, body, async () => options.buildContext(caller, requestId));
  }

  const ws = serveSubscriptions(server, options, formatError, limiter);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, path: GRAPHQL_PATH }, 'callqueue is listening');

  return {
    port,
    liveSubscriptions: () => ws.shared.active,
    async drain(afterSubscriptions) {
      draining = true;
      logger.info('shutting down: draining HTTP and WebSocket clients');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Connections that finish their last response become idle later: sweep them as they do.
      const sweep = setInterval(() => server.closeIdleConnections(), 25);
      server.closeIdleConnections();
      await ws.close();
      await afterSubscriptions();
      const forced = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_GRACE_MS);
      await closed;
      clearInterval(sweep);
      clearTimeout(forced);
    },
    stop: () => apollo.stop(),
  };
}

type FormatError = ReturnType<typeof createFormatError>;

async function startApollo({ config, metrics, schema }: ServerOptions, formatError: FormatError): Promise<ApolloServer<GraphQLContext>> {
  const limits = costLimits(config);
  const queries = new CompiledQueries(schema);
  const apollo = new ApolloServer<GraphQLContext>({
    // Apollo parses, validates and runs the plugins; execution is CompiledQueries' (through the
    // executor hook Apollo offers as its "gateway", with this one schema that never changes).
    gateway: {
      onSchemaLoadOrUpdate(callback) {
        callback({ apiSchema: schema, coreSupergraphSdl: '' });
        return () => undefined;
      },
      load: async () => ({ executor: (request) => queries.execute(request) }),
      stop: async () => undefined,
    },
    introspection: config.INTROSPECTION,
    parseOptions: { maxTokens: config.MAX_QUERY_TOKENS },
    validationRules: [depthLimit(config.MAX_QUERY_DEPTH)],  // Apollo adds the specified rules
    formatError: (formatted, error) => {
      const out = formatError(formatted, error);
      metrics.graphqlErrors.inc({ code: String(out.extensions?.code ?? 'UNKNOWN') });
      return out;
    },
    // Cache hints are unused (no HTTP caching of a live queue) and cost a hook on every field.
    plugins: [ApolloServerPluginCacheControlDisabled(), ApolloServerPluginLandingPageDisabled(), {
      async requestDidStart() {
        return {
          async didResolveOperation({ operation, document, request }) {
            if (operation?.operation === 'subscription') {
              throw new GraphQLError('subscriptions are served over WebSocket (graphql-ws) on /graphql, not over HTTP', {
                extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
              });
            }
            // Before any resolver runs, so before any SQL.
            const refused = admissionRefusal(schema, document, operation, request.variables ?? {}, limits);
            if (refused) throw refused;
          },
          // After the answer is built, off its path: the personal-data audit (one row, when due).
          async willSendResponse({ contextValue, operationName }) {
            void (contextValue as GraphQLContext).personal.audit((contextValue as GraphQLContext).logger, operationName ?? null);
          },
        };
      },
    }],
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
  });
  await apollo.start();
  return apollo;
}

/** graphql-ws on the same server and path, with the HTTP side's key check, rules and error masking. */
function serveSubscriptions(server: http.Server, options: ServerOptions, formatError: FormatError, limiter: RateLimiter) {
  const { config, metrics, schema, hub } = options;
  const validationRules = [...specifiedRules, depthLimit(config.MAX_QUERY_DEPTH)];
  const limits = costLimits(config);
  const keySockets = new KeySockets(options.authenticate, hub);
  const shared = new SharedSubscriptions(config.SUBSCRIPTION_BUFFER, (count) => metrics.subscriptions.set(count));
  const wsServer = new WebSocketServer({ server, path: GRAPHQL_PATH, maxPayload: config.MAX_BODY_BYTES });
  const rateLimited = (message: string) => new GraphQLError(message, { extensions: { code: 'RATE_LIMITED' } });
  /** Errors over WebSocket get the same masking and codes as over HTTP (Apollo tags these two). */
  const withCode = (error: GraphQLError, code: string) =>
    new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { code } });
  const formatAll = (errors: readonly GraphQLError[]) => errors.map((e) => {
    const out = formatError(e.toJSON(), e);
    metrics.graphqlErrors.inc({ code: String(out.extensions?.code ?? 'UNKNOWN') });
    return out;
  });
  const cleanup = useServer<{ authorization?: string }, { caller?: Caller }>({
    schema,
    // Never put an internal error's message in a close reason.
    isProd: true,
    subscribe: (args) => shared.subscribe(args),
    onConnect: async (ctx) => {
      try {
        ctx.extra.caller = await options.authenticate(ctx.connectionParams?.authorization);
      } catch (error) {
        const reason = error instanceof GraphQLError ? error.message : 'authentication failed';
        ctx.extra.socket.close(CloseCode.Unauthorized, `Unauthorized: ${reason.replace('"Authorization: Bearer <key>"', 'connectionParams.authorization')}`.slice(0, 120));
        return false;
      }
      if (keySockets.count(ctx.extra.caller) >= config.MAX_WS_CONNECTIONS_PER_KEY) {
        ctx.extra.socket.close(TOO_MANY_CONNECTIONS, `Too many connections for this API key (at most ${config.MAX_WS_CONNECTIONS_PER_KEY})`);
        return false;
      }
      keySockets.add(ctx.extra.socket, ctx.extra.caller, ctx.connectionParams?.authorization);
      return true;
    },
    // Parse and validate with the HTTP rules (depth limit included).
    onSubscribe: (ctx, _id, payload) => {
      // This one is registered already: more than the cap means one too many.
      if (Object.keys(ctx.subscriptions).length > config.MAX_SUBSCRIPTIONS_PER_CONNECTION) {
        return [rateLimited(`at most ${config.MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions run at once on one connection; complete one first, or open another connection`)];
      }
      const retryAfter = limiter.take(ctx.extra.caller!);
      if (retryAfter !== null) return [rateLimited(rateLimitMessage(config.RATE_LIMIT_PER_MINUTE, retryAfter))];
      let document;
      try {
        document = parse(payload.query, { maxTokens: config.MAX_QUERY_TOKENS });
      } catch (error) {
        return [withCode(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')];
      }
      const errors = validate(schema, document, validationRules);
      if (errors.length > 0) return errors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED'));
      const refused = admissionRefusal(schema, document, getOperationAST(document, payload.operationName), payload.variables ?? {}, limits);
      if (refused) return [refused];
      const socket = ctx.extra.socket;
      const live: LiveConnection = {
        hub, bufferLimit: config.SUBSCRIPTION_BUFFER, statsIntervalMs: config.QUEUE_STATS_INTERVAL_MS,
        drop: (code, reason) => socket.close(code, reason),
      };
      const args: ExecutionArgs = {
        schema, document, operationName: payload.operationName, variableValues: payload.variables,
        contextValue: options.buildContext(ctx.extra.caller!, randomUUID(), live),
      };
      return args;
    },
    onNext: (_ctx, _id, _payload, _args, result) =>
      (result.errors ? { ...result, errors: formatAll(result.errors) } : result) as never,
    onError: (_ctx, _id, _payload, errors) => formatAll(errors),
  }, wsServer, config.WS_KEEPALIVE_MS);

  return {
    shared,
    async close() {
      await cleanup.dispose();
      for (const client of wsServer.clients) client.close(1001, 'server shutting down');
      wsServer.close();
    },
  };
}
