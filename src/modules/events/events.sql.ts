import type { EntityManager } from '@mikro-orm/postgresql';
import { queryRows, sql } from '../../db/sql.js';

/* notify: delivered to every listener when (and only if) the calling transaction commits, in commit order. */
export async function notify(em: EntityManager, channel: string, payload: string): Promise<void> {
  await queryRows(em, sql`/* notify */ SELECT pg_notify(${channel}, ${payload})`);
}
