import pg from 'pg';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { percentile, startServerProcess, type BenchDatabase, type SuiteResult, gqlRequest } from './harness.js';

/**
 * Lines under load: 200 clients loop initiate → (queued: wait for the dispatch, by
 * subscription) → hold the call 50–150 ms → endCall, on 10 lines for 60 s. A poller watches
 * the active sessions in the database; afterwards the dispatch order is checked against the
 * queue as it stood (priority inversions, FIFO breaks). Baseline: what 10 lines can carry at
 * that holding time (lines ÷ mean hold), so the ratio is how busy the lines were kept.
 */
const CLIENTS = 200;
const LINES = 10;
const SECONDS = 60;
const KEY = 'bench-admin-key-0123456789';
const HOLD_MS = [50, 150] as const;

const gql = (url: string, query: string, variables: Record<string, unknown>) => gqlRequest(url, KEY, query, variables);

/** Resolves with the session once the request is dispatched (null if it expired or was cancelled). */
function dispatched(ws: Client, requestId: string): Promise<{ id: string; startedAt: string } | null> {
  return new Promise((resolve, reject) => {
    const stop = ws.subscribe({ query: `subscription($id: ID!) { callRequestUpdated(id: $id) { status session { id startedAt } } }`, variables: { id: requestId } }, {
      next: ({ data }) => {
        const r = (data as any)?.callRequestUpdated;
        if (!r || r.status === 'QUEUED') return;
        stop();
        resolve(r.status === 'DISPATCHED' ? r.session : null);
      },
      error: reject,
      complete: () => undefined,
    });
  });
}

export async function linesSuite(db: BenchDatabase): Promise<SuiteResult> {
  const url = await db.createDatabase('bench_lines');
  const app = await startServerProcess(url, {
    ADMIN_API_KEY: KEY, REPOPULATE_CRON: '', MAX_CONCURRENT_CALLS: String(LINES), DB_POOL_SIZE: '20', CALL_REQUEST_MAX_WAIT_SECONDS: '600',
    // Calls start whatever hour the benchmark runs at, and each claimant is called again and
    // again (the contact policy applies to every call: no cooldown after an answer, no daily cap).
    CALLING_WINDOW_START: '00:00', CALLING_WINDOW_END: '23:59', OUTCOME_COOLDOWNS: 'answered=0', DAILY_ATTEMPT_CAP: '1000000',
  });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const sockets: Client[] = [];
  try {
    await client.query(`INSERT INTO agents (name, email) SELECT 'Agent ' || g, 'l' || g || '@bench' FROM generate_series(1, ${CLIENTS}) g`);
    await client.query(`INSERT INTO claimants (user_id, claim_id, timezone) SELECT g, 'C' || g, 'UTC' FROM generate_series(1, ${CLIENTS}) g`);
    const { createCampaign } = await gql(app.url, `mutation { createCampaign(name: "bench", queueType: UNSIGNED_USERS) { id } }`, {});

    let going = true;
    let peak = 0;
    let above = 0;
    let polls = 0;
    const poller = (async () => {
      const watcher = new pg.Client({ connectionString: url });
      await watcher.connect();
      while (going) {
        const { rows } = await watcher.query(`SELECT count(*)::int AS n FROM call_sessions WHERE status = 'active'`);
        polls += 1;
        peak = Math.max(peak, rows[0].n);
        if (rows[0].n > LINES) above += 1;
        await new Promise((r) => setTimeout(r, 5));
      }
      await watcher.end();
    })();

    const latencies: number[] = [];
    let calls = 0;
    let queuedCalls = 0;
    let failures = 0;
    const started = performance.now();
    const end = started + SECONDS * 1000;
    await Promise.all(Array.from({ length: CLIENTS }, async (_, i) => {
      const ws = createClient({ url: app.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${KEY}` }, lazy: false, retryAttempts: 0 });
      sockets.push(ws);
      const campaign = i % 3 === 0;
      while (performance.now() < end) {
        try {
          const { initiateCall } = await gql(app.url, `mutation($i: InitiateCallInput!) { initiateCall(input: $i) { status session { id } request { id } } }`,
            { i: { userId: String(i + 1), agentId: String(i + 1), callType: campaign ? 'CAMPAIGN' : 'DIRECT', campaignId: campaign ? createCampaign.id : null } });
          let sessionId = initiateCall.session?.id as string | undefined;
          if (!sessionId) {
            queuedCalls += 1;
            const session = await dispatched(ws, initiateCall.request.id);
            if (!session) continue;
            latencies.push(Date.now() - Date.parse(session.startedAt));
            sessionId = session.id;
          }
          await new Promise((r) => setTimeout(r, HOLD_MS[0] + Math.random() * (HOLD_MS[1] - HOLD_MS[0])));
          await gql(app.url, `mutation($s: ID!) { endCall(sessionId: $s, outcome: ANSWERED) { id } }`, { s: sessionId });
          calls += 1;
        } catch {
          failures += 1;
        }
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    going = false;
    await poller;

    // Dispatch order against the queue as it stood at each dispatch.
    const { rows: [order] } = await client.query(`
      SELECT (SELECT count(*) FROM call_requests c JOIN call_requests d
                ON d.call_type = 'direct' AND c.call_type = 'campaign' AND c.status = 'dispatched'
               AND d.created_at < c.dispatched_at AND (d.dispatched_at IS NULL OR d.dispatched_at > c.dispatched_at)
               AND d.status IN ('queued', 'dispatched'))::int AS inversions,
             (SELECT count(*) FROM call_requests a JOIN call_requests b
                ON a.priority = b.priority AND a.status = 'dispatched' AND b.status = 'dispatched'
               AND (a.created_at, a.id) < (b.created_at, b.id) AND a.dispatched_at > b.dispatched_at)::int AS fifo_breaks,
             (SELECT count(*) FROM call_requests WHERE status = 'dispatched')::int AS dispatches`);
    latencies.sort((a, b) => a - b);
    const rate = calls / seconds;
    const capacity = LINES / ((HOLD_MS[0] + HOLD_MS[1]) / 2 / 1000);
    return {
      name: `Lines: ${CLIENTS} clients on ${LINES} lines for ${SECONDS} s`,
      rows: [
        ['calls per second (initiate → hold 50–150 ms → end)', rate.toFixed(1), `${capacity.toFixed(0)}/s (lines ÷ mean hold)`, (rate / capacity).toFixed(2), '≥ 0.8 of capacity'],
        ['moments above the limit (database polls)', `${above} of ${polls} (peak ${peak})`, '', '', '0'],
        ['priority inversions (campaign dispatched while a direct request waited)', String(order.inversions), '', '', '0'],
        ['FIFO breaks within a priority', String(order.fifo_breaks), '', '', '0'],
        ['dispatch latency, session start → the waiting client told (p50 / p99)', `${percentile(latencies, 50).toFixed(0)} / ${percentile(latencies, 99).toFixed(0)} ms`, '', '', 'p99 ≤ 50 ms'],
        ['calls that queued / dispatches', `${queuedCalls} / ${order.dispatches}`, '', '', ''],
        ['failed requests', String(failures), '', '', '0'],
      ],
      ratioLine: `lines: ${rate.toFixed(1)} calls/s (${(rate / capacity).toFixed(2)} of the lines' capacity), ${above} moments above the limit, ${order.inversions} inversions, dispatch p99 ${percentile(latencies, 99).toFixed(0)} ms`,
      notes: [
        'The dispatch happens in the transaction of the endCall that freed the line; the latency is from that transaction\'s start (the new session\'s `startedAt`) to the waiting client receiving DISPATCHED over its subscription.',
        '200 clients, the server and PostgreSQL share the 2 cores; every initiate and every dispatch serialises on the one `call_lines` row (that is how the limit holds across instances).',
      ],
    };
  } finally {
    await Promise.all(sockets.map((s) => s.dispose()));
    await client.end();
    await app.stop();
  }
}
