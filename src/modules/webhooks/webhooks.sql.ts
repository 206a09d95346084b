import type { EntityManager } from '@mikro-orm/postgresql';
import { rowMapper, STAMPS } from '../../db/rows.js';
import { queryOne, queryRows, sql } from '../../db/sql.js';

/** A webhook as admins see it: never its secrets. */
export interface WebhookRecord {
  id: number;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  disabledReason: string | null;
  previousSecretUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

export interface DeliveryRecord {
  id: number;
  webhookId: number;
  eventId: number;
  eventType: string;
  userId: number | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  redelivery: boolean;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface AttemptRecord {
  deliveryId: number;
  at: Date;
  responseCode: number | null;
  durationMs: number;
  error: string | null;
}

const WEBHOOK = sql`id, url, description, event_types, enabled, disabled_reason, previous_secret_until, created_at, updated_at`;
const DELIVERY = sql`id, webhook_id, event_id, event_type, user_id, status, attempts, next_attempt_at, redelivery, created_at, finished_at`;
export const toWebhook = rowMapper<WebhookRecord>([...STAMPS, 'previous_secret_until']);
const toDelivery = rowMapper<DeliveryRecord>(['next_attempt_at', 'created_at', 'finished_at']);
const toAttempt = rowMapper<AttemptRecord>(['at']);

/*
 * insertWebhook: it follows the log from where readers stand now (the last event below the
 * snapshot's xmin, as logPosition): events of transactions still running come after it.
 */
export async function insertWebhook(
  em: EntityManager, w: { url: string; description: string | null; eventTypes: string[]; secretSealed: string },
): Promise<WebhookRecord> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* insertWebhook */
    INSERT INTO webhooks (url, description, event_types, secret_sealed, after_txid, after_id)
    SELECT ${w.url}, ${w.description}, ${w.eventTypes}::text[], ${w.secretSealed}, coalesce(p.txid, '0'::xid8), coalesce(p.id, 0)
      FROM (SELECT 1) one LEFT JOIN (
        SELECT txid, id FROM event_log WHERE txid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY txid DESC, id DESC LIMIT 1) p ON true
    RETURNING ${WEBHOOK}`);
  return toWebhook(row!);
}

/* listWebhooks: oldest first. */
export async function listWebhooks(em: EntityManager): Promise<WebhookRecord[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* listWebhooks */ SELECT ${WEBHOOK} FROM webhooks ORDER BY id`)).map(toWebhook);
}

/* lockWebhook: a webhook by id, for a change. */
export async function lockWebhook(em: EntityManager, id: number): Promise<WebhookRecord | null> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* lockWebhook */ SELECT ${WEBHOOK} FROM webhooks WHERE id = ${id} FOR UPDATE`);
  return row ? toWebhook(row) : null;
}

/* findWebhook */
export async function findWebhook(em: EntityManager, id: number): Promise<WebhookRecord | null> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* findWebhook */ SELECT ${WEBHOOK} FROM webhooks WHERE id = ${id}`);
  return row ? toWebhook(row) : null;
}

/* updateWebhookRow: only the fields given change. */
export async function updateWebhookRow(
  em: EntityManager, id: number,
  c: { url?: string; description?: string | null; eventTypes?: string[]; enabled?: boolean; disabledReason?: string | null },
): Promise<WebhookRecord> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* updateWebhookRow */
    UPDATE webhooks SET
      url = coalesce(${c.url ?? null}, url),
      description = CASE WHEN ${c.description !== undefined} THEN ${c.description ?? null} ELSE description END,
      event_types = coalesce(${c.eventTypes ?? null}::text[], event_types),
      enabled = coalesce(${c.enabled ?? null}::boolean, enabled),
      disabled_reason = CASE WHEN ${c.enabled ?? null}::boolean IS NULL THEN disabled_reason ELSE ${c.disabledReason ?? null} END,
      updated_at = now()
     WHERE id = ${id} RETURNING ${WEBHOOK}`);
  return toWebhook(row!);
}

/* deleteWebhookRow: with its deliveries and attempts (cascade). */
export async function deleteWebhookRow(em: EntityManager, id: number): Promise<void> {
  await queryRows(em, sql`/* deleteWebhookRow */ DELETE FROM webhooks WHERE id = ${id}`);
}

/* replaceSecret: the new secret signs from now; the old one too until `until`. */
export async function replaceSecret(em: EntityManager, id: number, sealed: string, until: Date | null): Promise<WebhookRecord> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* replaceSecret */
    UPDATE webhooks SET previous_secret_sealed = CASE WHEN ${until}::timestamptz IS NULL THEN NULL ELSE secret_sealed END,
                        previous_secret_until = ${until}::timestamptz, secret_sealed = ${sealed}, updated_at = now()
     WHERE id = ${id} RETURNING ${WEBHOOK}`);
  return toWebhook(row!);
}

/* disableWebhook: the endpoint answered 410 Gone (or was refused for good). */
export async function disableWebhook(em: EntityManager, id: number, reason: string): Promise<void> {
  await queryRows(em, sql`/* disableWebhook */
    UPDATE webhooks SET enabled = false, disabled_reason = ${reason}, updated_at = now() WHERE id = ${id} AND enabled`);
}

export interface WebhookStats { webhookId: number; pending: number; last: AttemptRecord | null }

/* webhookStats: pending deliveries and the last attempt of each webhook. */
export async function webhookStats(em: EntityManager, ids: readonly number[]): Promise<WebhookStats[]> {
  const rows = await queryRows<{ webhook_id: number; pending: number; delivery_id: number | null; at: string | null; response_code: number | null; duration_ms: number | null; error: string | null }>(em, sql`/* webhookStats */
    SELECT w.id AS webhook_id,
           (SELECT count(*)::int FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'PENDING') AS pending,
           a.delivery_id, a.at, a.response_code, a.duration_ms, a.error
      FROM unnest(${ids}::bigint[]) AS w(id)
      LEFT JOIN LATERAL (
        SELECT a.* FROM webhook_deliveries d JOIN webhook_attempts a ON a.delivery_id = d.id
         WHERE d.webhook_id = w.id ORDER BY a.at DESC LIMIT 1) a ON true`);
  return rows.map((r) => ({
    webhookId: Number(r.webhook_id), pending: r.pending,
    last: r.at === null ? null : toAttempt({ delivery_id: r.delivery_id, at: r.at, response_code: r.response_code, duration_ms: r.duration_ms, error: r.error }),
  }));
}

/* listDeliveries: newest first, after a delivery id. */
export async function listDeliveries(
  em: EntityManager, webhookId: number, status: DeliveryStatus | null, beforeId: number | null, limit: number,
): Promise<DeliveryRecord[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* listDeliveries */
    SELECT ${DELIVERY} FROM webhook_deliveries
     WHERE webhook_id = ${webhookId} AND (${status}::text IS NULL OR status = ${status}::text)
       AND (${beforeId}::bigint IS NULL OR id < ${beforeId}::bigint)
     ORDER BY id DESC LIMIT ${limit}`)).map(toDelivery);
}

/* attemptsOf: every attempt of these deliveries, oldest first. */
export async function attemptsOf(em: EntityManager, deliveryIds: readonly number[]): Promise<AttemptRecord[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* attemptsOf */
    SELECT delivery_id, at, response_code, duration_ms, error FROM webhook_attempts
     WHERE delivery_id = ANY(${deliveryIds}::bigint[]) ORDER BY delivery_id, id`)).map(toAttempt);
}

/* redeliver: a new delivery of a logged event, due now; null when the event is not in the log. */
export async function redeliver(em: EntityManager, webhookId: number, eventId: number): Promise<DeliveryRecord | null> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* redeliver */
    INSERT INTO webhook_deliveries (webhook_id, event_txid, event_id, event_type, event_at, queue_type, user_id, entry_id, subject_id, agent_id, detail, redelivery)
    SELECT ${webhookId}, txid, id, type, at, queue_type, user_id, entry_id, subject_id, agent_id, detail, true FROM event_log WHERE id = ${eventId}
    RETURNING ${DELIVERY}`);
  return row ? toDelivery(row) : null;
}

/*
 * fanOut: every enabled webhook (not being fanned out by another instance: SKIP LOCKED) takes
 * up to `batch` events after its cursor, commit-safe (below the snapshot's xmin, like every
 * reader of the log); those of its types become deliveries, and its cursor moves past all of
 * them. Returns how many events each webhook read (a full batch: call again).
 */
export async function fanOut(em: EntityManager, batch: number): Promise<number> {
  const rows = await queryRows<{ read: number; made: number }>(em, sql`/* fanOut */
    WITH hooks AS (
      SELECT id, event_types, after_txid, after_id FROM webhooks WHERE enabled ORDER BY id FOR UPDATE SKIP LOCKED
    ), picked AS (
      SELECT h.id AS webhook_id, h.event_types, e.* FROM hooks h CROSS JOIN LATERAL (
        SELECT txid, id, type, at, queue_type, user_id, entry_id, subject_id, agent_id, detail FROM event_log
         WHERE txid < pg_snapshot_xmin(pg_current_snapshot()) AND (txid, id) > (h.after_txid, h.after_id)
         ORDER BY txid, id LIMIT ${batch}) e
    ), delivered AS (
      INSERT INTO webhook_deliveries (webhook_id, event_txid, event_id, event_type, event_at, queue_type, user_id, entry_id, subject_id, agent_id, detail)
      SELECT webhook_id, txid, id, type, at, queue_type, user_id, entry_id, subject_id, agent_id, detail FROM picked
       WHERE type = ANY(event_types) ORDER BY webhook_id, txid, id
    ), moved AS (
      UPDATE webhooks w SET after_txid = last.txid, after_id = last.id
        FROM (SELECT DISTINCT ON (webhook_id) webhook_id, txid, id FROM picked ORDER BY webhook_id, txid DESC, id DESC) last
       WHERE w.id = last.webhook_id
    )
    SELECT coalesce(max(n), 0)::int AS read, (SELECT count(*)::int FROM picked WHERE type = ANY(event_types)) AS made
      FROM (SELECT count(*) AS n FROM picked GROUP BY webhook_id) c`);
  // A burst of new rows leaves the planner's statistics behind (it would think the table
  // empty and check the per-claimant order by scanning): refreshed at once, not by autovacuum a minute later.
  if (rows[0]!.made >= 1000) await queryRows(em, sql`/* analyzeDeliveries */ ANALYZE webhook_deliveries`);
  return rows[0]!.read;
}

/** A delivery claimed for sending, with what its request needs. */
export interface ClaimedDelivery {
  id: number;
  webhook_id: number;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  event_txid: string;
  event_id: number;
  event_type: string;
  event_at: string;
  queue_type: string | null;
  user_id: number | null;
  entry_id: number | null;
  subject_id: number | null;
  agent_id: number | null;
  detail: string | null;
  attempts: number;
  created_at: string;
}

/*
 * claimDeliveries: up to `limit` due deliveries of one webhook, leased until `leaseMs` from now
 * so other instances skip them (SKIP LOCKED while claiming, the lease while sending). A
 * delivery waits while an earlier pending one of the same claimant to the same endpoint exists:
 * per-claimant order.
 */
export async function claimDeliveries(em: EntityManager, webhookId: number, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  return queryRows<ClaimedDelivery>(em, sql`/* claimDeliveries */
    WITH due AS (
      SELECT d.id FROM webhook_deliveries d
       WHERE d.webhook_id = ${webhookId} AND d.status = 'PENDING' AND d.next_attempt_at <= now()
         AND (d.locked_until IS NULL OR d.locked_until < now())
         AND (d.user_id IS NULL OR NOT EXISTS (
           SELECT 1 FROM webhook_deliveries p
            WHERE p.webhook_id = d.webhook_id AND p.user_id = d.user_id AND p.status = 'PENDING'
              AND (p.event_txid, p.event_id, p.id) < (d.event_txid, d.event_id, d.id)))
       ORDER BY d.next_attempt_at, d.event_txid, d.event_id LIMIT ${limit} FOR UPDATE SKIP LOCKED
    )
    UPDATE webhook_deliveries d SET locked_until = now() + make_interval(secs => ${leaseMs / 1000}), attempts = d.attempts + 1
      FROM due, webhooks w WHERE d.id = due.id AND w.id = d.webhook_id AND w.enabled
    RETURNING d.id, d.webhook_id, w.url, w.secret_sealed,
              CASE WHEN w.previous_secret_until > now() THEN w.previous_secret_sealed END AS previous_secret_sealed,
              d.event_txid::text AS event_txid, d.event_id, d.event_type, d.event_at, d.queue_type, d.user_id, d.entry_id,
              d.subject_id, d.agent_id, d.detail, d.attempts, d.created_at`);
}

/** The result of one attempt, as the worker records it. */
export interface AttemptResult {
  deliveryId: number;
  at: Date;
  responseCode: number | null;
  durationMs: number;
  error: string | null;
  /** DELIVERED, FAILED (given up) or PENDING again with its next attempt. */
  status: DeliveryStatus;
  nextAttemptAt: Date | null;
}

/* recordAttempts: the attempts of a batch and where each delivery stands now, in one statement. */
export async function recordAttempts(em: EntityManager, results: readonly AttemptResult[]): Promise<void> {
  await queryRows(em, sql`/* recordAttempts */
    WITH r AS (
      SELECT * FROM unnest(${results.map((r) => r.deliveryId)}::bigint[], ${results.map((r) => r.at.toISOString())}::timestamptz[],
                           ${results.map((r) => r.responseCode)}::int[], ${results.map((r) => r.durationMs)}::int[],
                           ${results.map((r) => r.error)}::text[], ${results.map((r) => r.status)}::text[],
                           ${results.map((r) => r.nextAttemptAt?.toISOString() ?? null)}::timestamptz[])
        AS r(delivery_id, at, response_code, duration_ms, error, status, next_attempt_at)
    ), attempts AS (
      INSERT INTO webhook_attempts (delivery_id, at, response_code, duration_ms, error)
      SELECT r.delivery_id, r.at, r.response_code, r.duration_ms, r.error FROM r
       WHERE EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.id = r.delivery_id)
    )
    UPDATE webhook_deliveries d SET status = r.status, locked_until = NULL,
           next_attempt_at = coalesce(r.next_attempt_at, d.next_attempt_at),
           finished_at = CASE WHEN r.status = 'PENDING' THEN NULL ELSE r.at + make_interval(secs => r.duration_ms / 1000.0) END
      FROM r WHERE d.id = r.delivery_id`);
}

/*
 * storedSecretsKey: the key that seals webhook secrets when WEBHOOK_SECRETS_KEY is not set,
 * created by the first instance that needs it (every instance reads the same one).
 */
export async function storedSecretsKey(em: EntityManager, candidate: string): Promise<string> {
  const row = await queryOne<{ value: string }>(em, sql`/* storedSecretsKey */
    WITH made AS (
      INSERT INTO service_secrets (name, value) VALUES ('webhook-secrets-key', ${candidate}) ON CONFLICT (name) DO NOTHING RETURNING value)
    SELECT value FROM made UNION ALL SELECT value FROM service_secrets WHERE name = 'webhook-secrets-key' LIMIT 1`);
  return row!.value;
}

/* enabledWebhookIds */
export async function enabledWebhookIds(em: EntityManager): Promise<number[]> {
  return (await queryRows<{ id: number }>(em, sql`/* enabledWebhookIds */ SELECT id FROM webhooks WHERE enabled ORDER BY id`)).map((r) => Number(r.id));
}
