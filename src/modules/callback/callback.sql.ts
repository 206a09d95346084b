import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, queryRows, sql } from '../../db/sql.js';
import type { QueueType } from '../queue/queue-type.js';
import { toCallback } from '../read-models.js';
import type { Callback } from './callback.entity.js';

/* closeCallback: a pending callback ends (completed, cancelled or missed); null if it was not pending. */
export async function closeCallback(em: EntityManager, id: number, status: 'completed' | 'cancelled' | 'missed'): Promise<Callback | null> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* closeCallback */
    UPDATE callbacks SET status = ${status}, closed_at = now(), updated_at = now()
     WHERE id = ${id} AND status = 'pending' RETURNING *`);
  return row ? toCallback(row) : null;
}

/* moveCallback: the callback follows its entry into the other queue. */
export async function moveCallback(em: EntityManager, id: number, to: QueueType): Promise<void> {
  await queryRows(em, sql`UPDATE callbacks SET queue_type = ${to}, updated_at = now() WHERE id = ${id}`);
}
