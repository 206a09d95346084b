import type { EntityManager } from '@mikro-orm/postgresql';
import { queryRows, sql } from './sql.js';

/* ping: /readyz asks whether the database answers. */
export async function ping(em: EntityManager): Promise<void> {
  await queryRows(em, sql`/* ping */ SELECT 1`);
}
