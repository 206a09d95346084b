import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, queryRows, sql } from '../../db/sql.js';
import type { Campaign } from './call.entity.js';
import { toCampaign, toRequest } from './lines.sql.js';

/*
 * The writes of lines, sessions and call requests. Locking: every reservation and dispatch
 * queues on the one `call_lines` row (migration 0020's callqueue_dispatch), taken after the claimant's row — the lock
 * order every line write follows. The trigger on call_sessions keeps `active` and refuses a
 * session past the limit, so the limit holds whatever the order of commits.
 */

/* setLineLimit */
export async function setLineLimit(em: EntityManager, limit: number): Promise<void> {
  await queryRows(em, sql`/* setLineLimit */ UPDATE call_lines SET max_lines = ${limit} WHERE max_lines <> ${limit}`);
}

/* closeCallRequest: a queued request only. */
export async function closeCallRequest(em: EntityManager, id: number, status: 'cancelled' | 'expired', reason: string): Promise<void> {
  await queryRows(em, sql`/* closeCallRequest */
    UPDATE call_requests SET status = ${status}, closed_at = now(), closed_reason = ${reason} WHERE id = ${id} AND status = 'queued'`);
}

/* lockCallRequest */
export async function lockCallRequest(em: EntityManager, id: number) {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* lockCallRequest */ SELECT * FROM call_requests WHERE id = ${id} FOR UPDATE`);
  return row ? toRequest(row) : null;
}

/* expireCallRequests: queued past their maximum wait; SKIP LOCKED leaves those a dispatch holds. */
export async function expireCallRequests(em: EntityManager, maxWaitSeconds: number): Promise<{ id: number }[]> {
  return queryRows<{ id: number }>(em, sql`/* expireCallRequests */
    UPDATE call_requests SET status = 'expired', closed_at = now(), closed_reason = 'waited longer than the maximum wait for a line'
     WHERE id IN (SELECT id FROM call_requests WHERE status = 'queued'
                    AND created_at + make_interval(secs => ${maxWaitSeconds}) < now() FOR UPDATE SKIP LOCKED)
    RETURNING id`);
}

/* reapSessions: active past the maximum duration end as failed (the trigger frees their lines). */
export async function reapSessions(em: EntityManager, maxCallSeconds: number): Promise<{ id: number }[]> {
  return queryRows<{ id: number }>(em, sql`/* reapSessions */
    UPDATE call_sessions SET status = 'failed', outcome = 'failed', ended_at = now()
     WHERE id IN (SELECT id FROM call_sessions WHERE status = 'active'
                    AND started_at + make_interval(secs => ${maxCallSeconds}) < now() FOR UPDATE SKIP LOCKED)
    RETURNING id`);
}

/* insertCampaign: null when the name is taken. */
export async function insertCampaign(em: EntityManager, name: string, queueType: string): Promise<Campaign | null> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* insertCampaign */
    INSERT INTO campaigns (name, queue_type) VALUES (${name}, ${queueType}) ON CONFLICT (name) DO NOTHING RETURNING *`);
  return row ? toCampaign(row) : null;
}

/* setCampaignStatus: null when the campaign does not exist. */
export async function updateCampaignStatus(em: EntityManager, id: number, status: 'active' | 'paused'): Promise<Campaign | null> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* setCampaignStatus */
    UPDATE campaigns SET status = ${status}, updated_at = now() WHERE id = ${id} RETURNING *`);
  return row ? toCampaign(row) : null;
}
