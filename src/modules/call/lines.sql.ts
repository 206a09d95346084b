import type { EntityManager } from '@mikro-orm/postgresql';
import { rowMapper } from '../../db/rows.js';
import { queryOne, queryRows, sql } from '../../db/sql.js';
import type { Campaign, CallRequest, CallSession } from './call.entity.js';

export const toSession = rowMapper<CallSession>(['started_at', 'ended_at']);
export const toRequest = rowMapper<CallRequest>(['created_at', 'dispatched_at', 'closed_at']);
export const toCampaign = rowMapper<Campaign>(['created_at', 'updated_at']);

/** Direct calls are dispatched before campaign calls. */
export const CALL_PRIORITY = { direct: 100, campaign: 0 } as const;

export async function sessionsByIds(em: EntityManager, ids: readonly number[]): Promise<CallSession[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* sessionsByIds */ SELECT * FROM call_sessions WHERE id = ANY(${[...ids]}::bigint[])`)).map(toSession);
}

export async function campaignsByIds(em: EntityManager, ids: readonly number[]): Promise<Campaign[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* campaignsByIds */ SELECT * FROM campaigns WHERE id = ANY(${[...ids]}::bigint[])`)).map(toCampaign);
}

export async function listCampaigns(em: EntityManager): Promise<Campaign[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* campaigns */ SELECT * FROM campaigns ORDER BY name`)).map(toCampaign);
}

/** A request with its place in the line: requests ahead of it (higher priority, then older) + 1; null once not queued. */
export type PlacedRequest = CallRequest & { position: number | null };

/*
 * requestsByIds: with positions, computed against the queued requests now, and the session a
 * dispatched request started (read in the same statement: a dispatch's subscribers ask for both).
 */
export async function requestsByIds(em: EntityManager, ids: readonly number[]): Promise<(PlacedRequest & { session: CallSession | null })[]> {
  const rows = await queryRows<Record<string, unknown>>(em, sql`/* callRequests */
    SELECT r.*, CASE WHEN r.status = 'queued' THEN (
             SELECT count(*)::int + 1 FROM call_requests q
              WHERE q.status = 'queued' AND (q.priority > r.priority OR (q.priority = r.priority AND (q.created_at, q.id) < (r.created_at, r.id)))
           ) END AS position,
           (SELECT to_jsonb(s.*) FROM call_sessions s WHERE s.id = r.call_session_id) AS session_row
      FROM call_requests r WHERE r.id = ANY(${[...ids]}::bigint[])`);
  return rows.map(({ session_row: session, ...row }) => ({
    ...toRequest(row), position: row.position as number | null, session: session ? toSession(session as Record<string, unknown>) : null,
  }));
}

/* activeSessions: the calls holding a line now, oldest first. */
export async function activeSessions(em: EntityManager, limit: number): Promise<CallSession[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* activeSessions */
    SELECT * FROM call_sessions WHERE status = 'active' ORDER BY started_at, id LIMIT ${limit}`)).map(toSession);
}

/* queuedRequests: the requests waiting for a line, in dispatch order (direct first, then oldest), with their positions. */
export async function queuedRequests(em: EntityManager, limit: number): Promise<PlacedRequest[]> {
  const rows = await queryRows<Record<string, unknown>>(em, sql`/* queuedRequests */
    SELECT r.*, row_number() OVER (ORDER BY r.priority DESC, r.created_at, r.id)::int AS position
      FROM call_requests r WHERE r.status = 'queued' ORDER BY r.priority DESC, r.created_at, r.id LIMIT ${limit}`);
  return rows.map((row) => ({ ...toRequest(row), position: row.position as number }));
}

export interface LineFigures {
  limit: number;
  active: number;
  queuedDirect: number;
  queuedCampaign: number;
  oldestQueuedAt: Date | null;
  /** Mean duration of the last 50 calls ended in the past 24 hours; null without history. */
  averageCallSeconds: number | null;
}

/* lineFigures: one statement for lineStatus and the wait estimates. */
export async function lineFigures(em: EntityManager): Promise<LineFigures> {
  const row = await queryOne<Record<string, any>>(em, sql`/* lineFigures */
    SELECT l.max_lines, l.active,
           (SELECT count(*) FROM call_requests WHERE status = 'queued' AND call_type = 'direct')::int AS queued_direct,
           (SELECT count(*) FROM call_requests WHERE status = 'queued' AND call_type = 'campaign')::int AS queued_campaign,
           (SELECT min(created_at) FROM call_requests WHERE status = 'queued') AS oldest,
           (SELECT avg(extract(epoch FROM ended_at - started_at))::float8 FROM (
              SELECT started_at, ended_at FROM call_sessions
               WHERE status = 'completed' AND ended_at > now() - interval '24 hours' ORDER BY ended_at DESC LIMIT 50) recent) AS average
      FROM call_lines l`);
  return {
    limit: row!.max_lines, active: row!.active, queuedDirect: row!.queued_direct, queuedCampaign: row!.queued_campaign,
    oldestQueuedAt: row!.oldest ? new Date(row!.oldest) : null, averageCallSeconds: row!.average,
  };
}

/**
 * Estimated wait for the request at `position`: lines free up on average every
 * (average call duration ÷ lines) seconds, and it starts after `position` of them:
 *   wait ≈ ceil(position × averageCallSeconds ÷ limit)
 * with DEFAULT_CALL_SECONDS as the average until there is history.
 */
export function estimatedWaitSeconds(position: number, figures: LineFigures, defaultCallSeconds: number): number {
  return Math.ceil((position * (figures.averageCallSeconds ?? defaultCallSeconds)) / figures.limit);
}
