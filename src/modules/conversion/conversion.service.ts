import type { EntityManager } from '@mikro-orm/postgresql';
import { queryRows, sql } from '../../db/sql.js';
import { checkPageSize, decodeCursor, toPage, type Edge, type Page } from '../pagination.js';
import type { QueueType } from '../queue/queue-type.js';
import { ConversionSchema, type Conversion } from './conversion.entity.js';

export type ConversionPage = Page<Conversion>;
export type ConversionEdge = Edge<Conversion>;

export interface ConversionFilter {
  from?: Date | null;
  to?: Date | null;
  previousQueueType?: QueueType | null;
  primaryAgentId?: number | null;
}

/* listConversions: newest first; the cursor keeps converted_at as Postgres wrote it. */
export async function listConversions(
  em: EntityManager, filter: ConversionFilter, first: number | null | undefined, after: string | null | undefined, maxPageSize: number,
): Promise<ConversionPage> {
  const size = checkPageSize(first, 50, maxPageSize);
  const cursor = after ? decodeCursor(after, ['string', 'number']) : null;
  const rows = await queryRows<Record<string, unknown> & { converted_at: string; id: number }>(em, sql`
    SELECT c.* FROM conversions c
     WHERE (${filter.from ?? null}::timestamptz IS NULL OR c.converted_at >= ${filter.from ?? null})
       AND (${filter.to ?? null}::timestamptz IS NULL OR c.converted_at < ${filter.to ?? null})
       AND (${filter.previousQueueType ?? null}::text IS NULL OR c.previous_queue_type = ${filter.previousQueueType ?? null})
       AND (${filter.primaryAgentId ?? null}::int IS NULL OR c.primary_agent_id = ${filter.primaryAgentId ?? null})
       AND (${cursor?.[0] ?? null}::timestamptz IS NULL
            OR (c.converted_at, c.id) < (${cursor?.[0] ?? null}::timestamptz, ${cursor?.[1] ?? null}::bigint))
     ORDER BY c.converted_at DESC, c.id DESC
     LIMIT ${size + 1}`);
  const keys = new Map(rows.map((r) => [r.id, r.converted_at]));
  const conversions = rows.map((r) => em.map(ConversionSchema, r));
  return toPage(conversions, size, (c) => [keys.get(c.id)!, c.id]);
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
  const [row] = await queryRows<Record<string, any>>(em, sql`
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
