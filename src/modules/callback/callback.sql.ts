import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, sql } from '../../db/sql.js';

/* closeCallback: a pending callback ends (completed, cancelled or missed); false if it was not pending. */
export async function closeCallback(em: EntityManager, id: number, status: 'completed' | 'cancelled' | 'missed'): Promise<boolean> {
  const row = await queryOne(em, sql`/* closeCallback */ UPDATE callbacks SET status = ${status}, closed_at = now(), updated_at = now()
    WHERE id = ${id} AND status = 'pending' RETURNING id`);
  return row !== null;
}
