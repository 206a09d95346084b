import type { EntityManager } from '@mikro-orm/postgresql';
import { queryRows, raw, sql } from '../db/sql.js';

/** The per-claimant histories the claimant page reads, each newest first. */
export const CLAIMANT_HISTORIES = {
  transitions: { table: 'queue_transitions', at: 'at' },
  callSessions: { table: 'call_sessions', at: 'started_at' },
  callbacks: { table: 'callbacks', at: 'scheduled_for' },
} as const;

export type ClaimantHistory = keyof typeof CLAIMANT_HISTORIES;

/*
 * latestPerClaimant: the newest `limit` rows of one history for each of the claimants, in one
 * statement for a whole batch of claimants (each table has an index on user_id).
 */
export async function latestPerClaimant(
  em: EntityManager, history: ClaimantHistory, userIds: readonly number[], limit: number,
): Promise<Record<string, unknown>[]> {
  const { table, at } = CLAIMANT_HISTORIES[history];
  return queryRows<Record<string, unknown>>(em, sql`/* latestPerClaimant */
    SELECT * FROM (
      SELECT t.*, row_number() OVER (PARTITION BY t.user_id ORDER BY t.${raw(at)} DESC, t.id DESC) AS position_in_history
        FROM ${raw(table)} t WHERE t.user_id = ANY(${[...userIds]}::bigint[])) x
     WHERE position_in_history <= ${limit}
     ORDER BY user_id, position_in_history`);
}
