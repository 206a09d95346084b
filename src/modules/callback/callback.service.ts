import type { EntityManager } from '@mikro-orm/postgresql';
import { queryRows, sql } from '../../db/sql.js';
import { checkPageSize, decodeCursor, toPage, type Edge, type Page } from '../pagination.js';
import { CallbackSchema, type Callback, type CallbackStatus } from './callback.entity.js';

export type CallbackPage = Page<Callback>;
export type CallbackEdge = Edge<Callback>;

export interface CallbackFilter {
  status?: CallbackStatus | null;
  agentId?: number | null;
  userId?: number | null;
  from?: Date | null;
  to?: Date | null;
}

/* listCallbacks: soonest first; the cursor keeps scheduled_for as Postgres wrote it. */
export async function listCallbacks(
  em: EntityManager, filter: CallbackFilter, first: number | null | undefined, after: string | null | undefined, maxPageSize: number,
): Promise<CallbackPage> {
  const size = checkPageSize(first, 50, maxPageSize);
  const cursor = after ? decodeCursor(after, ['string', 'number']) : null;
  const rows = await queryRows<Record<string, unknown> & { scheduled_for: string; id: number }>(em, sql`
    SELECT c.* FROM callbacks c
     WHERE (${filter.status ?? null}::text IS NULL OR c.status = ${filter.status ?? null})
       AND (${filter.agentId ?? null}::int IS NULL OR c.agent_id = ${filter.agentId ?? null})
       AND (${filter.userId ?? null}::bigint IS NULL OR c.user_id = ${filter.userId ?? null})
       AND (${filter.from ?? null}::timestamptz IS NULL OR c.scheduled_for >= ${filter.from ?? null})
       AND (${filter.to ?? null}::timestamptz IS NULL OR c.scheduled_for < ${filter.to ?? null})
       AND (${cursor?.[0] ?? null}::timestamptz IS NULL
            OR (c.scheduled_for, c.id) > (${cursor?.[0] ?? null}::timestamptz, ${cursor?.[1] ?? null}::bigint))
     ORDER BY c.scheduled_for, c.id
     LIMIT ${size + 1}`);
  const keys = new Map(rows.map((r) => [r.id, r.scheduled_for]));
  const callbacks = rows.map((r) => em.map(CallbackSchema, r));
  return toPage(callbacks, size, (c) => [keys.get(c.id)!, c.id]);
}
