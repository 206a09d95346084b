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
