import type { EntityManager } from '@mikro-orm/postgresql';
import { rowMapper } from '../../db/rows.js';
import { queryOne, queryRows, sql } from '../../db/sql.js';
import type { KeysetCursor } from '../pagination.js';
import type { QueueType } from '../queue-type.js';
import type { Conversion } from './conversion.entity.js';

export const toConversion = rowMapper<Conversion>(['converted_at', 'last_call_at', 'created_at']);

/* conversionsByIds */
export async function conversionsByIds(em: EntityManager, ids: readonly number[]): Promise<Conversion[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* conversionsByIds */
    SELECT * FROM conversions WHERE id = ANY(${[...ids]}::bigint[])`)).map(toConversion);
}

/* conversionsByUsers: a claimant converts once (user_id is unique). */
export async function conversionsByUsers(em: EntityManager, userIds: readonly number[]): Promise<Conversion[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* conversionsByUsers */
    SELECT * FROM conversions WHERE user_id = ANY(${[...userIds]}::bigint[])`)).map(toConversion);
}

export interface ConversionFilter {
  from?: Date | null;
  to?: Date | null;
  previousQueueType?: QueueType | null;
  primaryAgentId?: number | null;
}

export type ConversionRow = Record<string, unknown> & { converted_at: string; id: number };

/* listConversions: newest first, after the keyset cursor. */
export async function listConversions(em: EntityManager, filter: ConversionFilter, cursor: KeysetCursor, limit: number): Promise<ConversionRow[]> {
  return queryRows<ConversionRow>(em, sql`/* listConversions */
    SELECT c.* FROM conversions c
     WHERE (${filter.from ?? null}::timestamptz IS NULL OR c.converted_at >= ${filter.from ?? null})
       AND (${filter.to ?? null}::timestamptz IS NULL OR c.converted_at < ${filter.to ?? null})
       AND (${filter.previousQueueType ?? null}::text IS NULL OR c.previous_queue_type = ${filter.previousQueueType ?? null})
       AND (${filter.primaryAgentId ?? null}::int IS NULL OR c.primary_agent_id = ${filter.primaryAgentId ?? null})
       AND (${cursor.at}::timestamptz IS NULL OR (c.converted_at, c.id) < (${cursor.at}::timestamptz, ${cursor.id}::bigint))
     ORDER BY c.converted_at DESC, c.id DESC
     LIMIT ${limit}`);
}

/* convert: the database's callqueue_convert (migration 0021) — refusals, the entry out, the record, the score off, the transition and the event. */
export async function recordConversion(
  em: EntityManager, userId: number,
  c: { conversionType: string; reason: string | null; claimValue: number | null; estimatedCommission: number | null }, actor: string,
): Promise<Conversion> {
  const row = await queryOne<{ conversion: Record<string, unknown> }>(em, sql`/* convert */
    SELECT callqueue_convert(${userId}, ${c.conversionType}, ${c.reason}::text, ${c.claimValue}::numeric, ${c.estimatedCommission}::numeric, ${actor}) AS conversion`);
  return toConversion(row!.conversion);
}

export interface ConversionStats {
  from: Date | null;
  to: Date | null;
  total: number;
  byPreviousQueue: { queueType: QueueType | null; count: number }[];
  byPrimaryAgent: { agentId: number | null; count: number }[];
  averageCallAttempts: number | null;
  averageFinalScore: number | null;
  totalClaimValue: number;
  totalEstimatedCommission: number;
}

/* conversionStats: one statement; the groupings come back as JSON arrays. */
export async function conversionStats(em: EntityManager, from: Date | null, to: Date | null): Promise<ConversionStats> {
  const [row] = await queryRows<Record<string, any>>(em, sql`/* conversionStats */
    WITH c AS (SELECT * FROM conversions
                WHERE (${from}::timestamptz IS NULL OR converted_at >= ${from})
                  AND (${to}::timestamptz IS NULL OR converted_at < ${to}))
    SELECT (SELECT count(*)::int FROM c) AS total,
           (SELECT avg(total_call_attempts)::float8 FROM c) AS average_attempts,
           (SELECT avg(final_score)::float8 FROM c) AS average_score,
           (SELECT coalesce(sum(claim_value), 0)::float8 FROM c) AS claim_value,
           (SELECT coalesce(sum(estimated_commission), 0)::float8 FROM c) AS commission,
           (SELECT coalesce(json_agg(json_build_object('queueType', q, 'count', n) ORDER BY n DESC, q), '[]')
              FROM (SELECT previous_queue_type AS q, count(*)::int AS n FROM c GROUP BY 1) g) AS by_queue,
           (SELECT coalesce(json_agg(json_build_object('agentId', a, 'count', n) ORDER BY n DESC, a), '[]')
              FROM (SELECT primary_agent_id AS a, count(*)::int AS n FROM c GROUP BY 1) g) AS by_agent`);
  return {
    from, to, total: row!.total, byPreviousQueue: row!.by_queue, byPrimaryAgent: row!.by_agent,
    averageCallAttempts: row!.average_attempts, averageFinalScore: row!.average_score,
    totalClaimValue: row!.claim_value, totalEstimatedCommission: row!.commission,
  };
}
