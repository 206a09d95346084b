import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, queryRows, sql } from '../../db/sql.js';
import type { Role } from './roles.js';

/* apiKeyByHash: a usable (unrevoked) key by the hash of what was presented. */
export async function apiKeyByHash(em: EntityManager, hash: string): Promise<{ id: number; role: Role; agent_id: number | null } | null> {
  return (await queryOne<{ id: number; role: Role; agent_id: number | null }>(em, sql`/* apiKeyByHash */
    SELECT id, role, agent_id FROM api_keys WHERE key_hash = ${hash} AND revoked_at IS NULL`)) ?? null;
}

/*
 * lockFirstAdminKey: instances starting together serialise on this transaction-scoped lock, so
 * one creates the first key and the others see it.
 */
export async function lockFirstAdminKey(em: EntityManager): Promise<void> {
  await queryRows(em, sql`/* lockFirstAdminKey */ SELECT pg_advisory_xact_lock(hashtext('callqueue.first-admin-key'))`);
}
