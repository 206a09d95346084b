import client from 'prom-client';

/** Prometheus metrics of one instance; a registry per app so tests can run several. */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'callqueue_' });
  return {
    registry,
    httpRequests: new client.Counter({
      name: 'callqueue_http_requests_total', help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'], registers: [registry],
    }),
    graphqlDuration: new client.Histogram({
      name: 'callqueue_graphql_request_duration_seconds', help: 'GraphQL HTTP request duration',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry],
    }),
    graphqlErrors: new client.Counter({
      name: 'callqueue_graphql_errors_total', help: 'GraphQL errors sent to clients, by code',
      labelNames: ['code'], registers: [registry],
    }),
    claimDuration: new client.Histogram({
      name: 'callqueue_claim_duration_seconds', help: 'assignNextUser latency, by queue and result',
      labelNames: ['queue', 'result'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    listenerConnected: new client.Gauge({
      name: 'callqueue_event_listener_connected', help: '1 while the LISTEN connection for events is up', registers: [registry],
    }),
    subscriptions: new client.Gauge({
      name: 'callqueue_subscriptions', help: 'Live GraphQL subscriptions on this instance', registers: [registry],
    }),
    repopulationDuration: new client.Histogram({
      name: 'callqueue_repopulation_duration_seconds', help: 'Repopulation runs, by trigger and status',
      labelNames: ['trigger', 'status'], buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [registry],
    }),
    migrationReadFallbacks: new client.Counter({
      name: 'callqueue_migration_read_fallbacks_total',
      help: 'READ_NEW reads of the separated queues that failed and were served from call_queue', registers: [registry],
    }),
    migrationPhase: new client.Gauge({
      name: 'callqueue_migration_phase', help: 'The legacy-migration phase this instance works in (1 on its label)',
      labelNames: ['phase'], registers: [registry],
    }),
    webhookAttempts: new client.Counter({
      name: 'callqueue_webhook_attempts_total', help: 'Webhook requests by result: delivered, retry (failed, tried again later), failed (given up)',
      labelNames: ['result'], registers: [registry],
    }),
    dbStatements: new client.Counter({
      name: 'callqueue_db_statements_total', help: 'SQL statements sent to PostgreSQL', registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

export interface StuckFigures {
  lapsedLeases: number;
  overlongSessions: number;
  overdueCallbacks: number;
  /** Per queue: pending entries, and those whose availableFrom has passed. */
  queues: { queueType: string; pending: number; availableNow: number }[];
}

/**
 * Stuck-work gauges, read from the database when /metrics is scraped (two statements): alert on
 * callqueue_stuck_work > 0, and on a queue with pending entries and none available now
 * (callqueue_queue_pending > 0 and callqueue_queue_available_now == 0) — then queueDiagnostics
 * says why (README, "When the queue looks empty").
 */
export function registerStuckWork(metrics: Metrics, read: () => Promise<StuckFigures>): void {
  let latest: Promise<StuckFigures> | null = null;
  // One read per scrape, shared by the three gauges.
  const figures = () => (latest ??= read().finally(() => setTimeout(() => { latest = null; }, 100)));
  new client.Gauge({
    name: 'callqueue_stuck_work', help: 'Work that is stuck: lapsed_leases, overlong_sessions, overdue_callbacks', labelNames: ['kind'],
    registers: [metrics.registry],
    async collect() {
      const f = await figures();
      this.set({ kind: 'lapsed_leases' }, f.lapsedLeases);
      this.set({ kind: 'overlong_sessions' }, f.overlongSessions);
      this.set({ kind: 'overdue_callbacks' }, f.overdueCallbacks);
    },
  });
  new client.Gauge({
    name: 'callqueue_queue_pending', help: 'Pending entries per queue', labelNames: ['queue'], registers: [metrics.registry],
    async collect() {
      for (const q of (await figures()).queues) this.set({ queue: q.queueType }, q.pending);
    },
  });
  new client.Gauge({
    name: 'callqueue_queue_available_now', help: 'Pending entries per queue whose availableFrom has passed', labelNames: ['queue'],
    registers: [metrics.registry],
    async collect() {
      for (const q of (await figures()).queues) this.set({ queue: q.queueType }, q.availableNow);
    },
  });
}
