import pg from 'pg';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { getOperationAST, parse } from 'graphql';
import { documentCost } from '../../src/graphql/cost.js';
import { buildGraphQLSchema } from '../../src/graphql/schema.js';
import { createLogger } from '../../src/logger.js';
import { percentile, timeEach, type BenchDatabase, type SuiteResult } from './harness.js';

/**
 * The dashboard query (both queues, 100 entries each, with assignedAgent, score, claimant and
 * callback) through GraphQL over HTTP, against a bare `pg` query that fetches the same rows
 * with joins: the ratio is what the API layer (HTTP, auth, validation, DataLoaders) costs.
 */
const PER_QUEUE = 100;
const RUNS = 300;

export const DASHBOARD = `{ queues { type entries(first: ${PER_QUEUE}) { nodes {
  id userId priorityScore status availableFrom assignedAgent { id name } score { currentScore lastOutcome }
  claimant { firstName lastName timezone } callback { scheduledFor reason } } } } }`;

const BASELINE_SQL = ['unsigned_users_queue', 'outstanding_requests_queue'].map((table) => `
  (SELECT e.id, e.user_id, e.priority_score, e.status, e.available_from, a.id AS agent_id, a.name AS agent_name,
          s.current_score, s.last_outcome, c.first_name, c.last_name, c.timezone, cb.scheduled_for, cb.reason
     FROM ${table} e
     LEFT JOIN agents a ON a.id = e.assigned_to_agent_id
     LEFT JOIN user_call_scores s ON s.user_id = e.user_id
     LEFT JOIN claimants c ON c.user_id = e.user_id
     LEFT JOIN callbacks cb ON cb.id = e.callback_id
    WHERE e.status IN ('pending', 'assigned')
    ORDER BY e.priority_score DESC, e.available_from, e.id LIMIT ${PER_QUEUE})`).join(' UNION ALL ');

export async function seedDashboard(client: pg.Client): Promise<void> {
  await client.query(`INSERT INTO agents (name, email) SELECT 'Agent ' || g, 'a' || g || '@bench' FROM generate_series(1, 20) g`);
  for (const [table, base, signature] of [['unsigned_users_queue', 1_000_000, 'missing'], ['outstanding_requests_queue', 2_000_000, 'obtained']] as const) {
    await client.query(`INSERT INTO claimants (user_id, claim_id, first_name, last_name, timezone, signature_status)
      SELECT $1 + g, 'C' || g, 'First' || g, 'Last' || g, 'UTC', $2 FROM generate_series(1, 1000) g`, [base, signature]);
    await client.query(`INSERT INTO user_call_scores (user_id, current_score, last_outcome) SELECT $1 + g, (g * 37) % 9999, 'no_answer' FROM generate_series(1, 1000) g`, [base]);
    await client.query(`INSERT INTO callbacks (user_id, scheduled_for, reason, queue_type)
      SELECT $1 + g, now() + interval '1 hour', 'bench', 'unsigned_users' FROM generate_series(1, 1000, 5) g`, [base]);
    await client.query(`INSERT INTO ${table} (user_id, claim_id, priority_score, status, assigned_to_agent_id, assigned_at, callback_id)
      SELECT $1 + g, 'C' || g, (g * 37) % 9999,
             CASE WHEN g % 10 = 0 THEN 'assigned' ELSE 'pending' END,
             CASE WHEN g % 10 = 0 THEN 1 + g % 20 END, CASE WHEN g % 10 = 0 THEN now() END,
             (SELECT id FROM callbacks WHERE user_id = $1 + g)
        FROM generate_series(1, 1000) g`, [base]);
  }
  await client.query('ANALYZE');
}

export async function dashboardSuite(db: BenchDatabase): Promise<SuiteResult> {
  const url = await db.createDatabase('bench_dashboard');
  const key = 'bench-admin-key-0123456789';
  const app = await createApp({
    config: loadConfig({ PORT: '0', HOST: '127.0.0.1', REPOPULATE_CRON: '', ADMIN_API_KEY: key, LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0' }),
    databaseUrl: url, logger: createLogger('silent'),
  });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await seedDashboard(client);
    const request = async () => {
      const response = await fetch(app.url, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: DASHBOARD }),
      });
      const body = (await response.json()) as { errors?: unknown; data: { queues: { entries: { nodes: unknown[] } }[] } };
      if (body.errors || body.data.queues.flatMap((q) => q.entries.nodes).length !== 2 * PER_QUEUE) {
        throw new Error(`dashboard query failed: ${JSON.stringify(body).slice(0, 300)}`);
      }
    };
    const before = (await app.metrics.dbStatements.get()).values[0]!.value;
    await request();
    const statements = (await app.metrics.dbStatements.get()).values[0]!.value - before;
    const api = await timeEach(RUNS, 30, request);
    const baseline = await timeEach(RUNS, 30, async () => {
      const rows = await client.query(BASELINE_SQL);
      if (rows.rowCount !== 2 * PER_QUEUE) throw new Error('baseline returned the wrong rows');
    });
    const p50 = percentile(api, 50);
    const base50 = percentile(baseline, 50);
    const ratio = p50 / base50;
    // The cost check on this document, as the server runs it for every request (parsed and
    // validated once by Apollo's cache, so the walk is what each request adds).
    const schema = buildGraphQLSchema();
    const document = parse(DASHBOARD);
    const operation = getOperationAST(document)!;
    const costMs = percentile(await timeEach(2000, 200, async () => documentCost(schema, document, operation, {})), 50);
    // The attack: 100 aliases of a 500-entry page with everything, and 20 of them (under
    // the alias cap, over the cost): each refused before any SQL.
    const attack = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `q${i}: queue(type: UNSIGNED_USERS) { entries(first: 500) { nodes {
      id userId priorityScore claimant { firstName lastName phone requirements { id requirementType } } score { currentScore } assignedAgent { name } } } }`).join(' ')} }`;
    const refuse = (doc: string) => async () => {
      const response = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query: doc }) });
      if (response.status !== 400) throw new Error(`expected a refusal, got HTTP ${response.status}`);
      await response.text();
    };
    const refused100 = percentile(await timeEach(50, 5, refuse(attack(100))), 50);
    const refused20 = percentile(await timeEach(50, 5, refuse(attack(20))), 50);
    return {
      name: 'Dashboard query (2 × 100 entries with agent, score, claimant, callback)',
      rows: [
        ['SQL statements per request', String(statements), '1 (one joined query)', `${statements}×`, '≤ 6, constant in N'],
        ['median latency', `${p50.toFixed(2)} ms`, `${base50.toFixed(2)} ms`, `${ratio.toFixed(2)}× the bare query`, '—'],
        ['cost check (before execution) ÷ the median request', `${(costMs * 1000).toFixed(1)} µs`, `${p50.toFixed(2)} ms`,
          `${((costMs / p50) * 100).toFixed(2)} %`, '≤ 5 %'],
        ['100 aliases × entries(first: 500) (20 KB), refused (aliases) — p50', `${refused100.toFixed(2)} ms`, '', '', '≤ 20 ms, no SQL'],
        ['20 aliases × entries(first: 500), refused (cost) — p50', `${refused20.toFixed(2)} ms`, '', '', '≤ 20 ms, no SQL'],
        ['p99 latency', `${percentile(api, 99).toFixed(2)} ms`, `${percentile(baseline, 99).toFixed(2)} ms`, `${(percentile(api, 99) / percentile(baseline, 99)).toFixed(2)}×`, '—'],
      ],
      ratioLine: `dashboard: GraphQL p50 ${p50.toFixed(2)} ms / bare pg p50 ${base50.toFixed(2)} ms = ${ratio.toFixed(2)}× (${statements} statements per request)`,
      notes: [`${RUNS} sequential requests after 30 warm-up; the bare query runs on an open pg connection, the API request includes HTTP, JSON, validation and serialisation of 200 entries.`],
    };
  } finally {
    await client.end();
    await app.close();
  }
}
