import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, sql } from '../../db/sql.js';
import type { MigrationPhase } from './phases.js';

/**
 * The phase a write transaction works in, share-locked until it commits: a phase change waits
 * for the writes in flight, and the writes after it see the new phase. Every instance decides
 * by this row, whatever it last polled.
 */
export async function lockPhase(em: EntityManager): Promise<MigrationPhase> {
  const row = await queryOne<{ phase: MigrationPhase }>(em, sql`/* lockPhase */ SELECT migration_phase_for_write() AS phase`);
  return row!.phase;
}

export async function readPhase(em: EntityManager): Promise<MigrationPhase> {
  const row = await queryOne<{ phase: MigrationPhase }>(em, sql`/* readPhase */ SELECT phase FROM migration_state`);
  return row!.phase;
}
