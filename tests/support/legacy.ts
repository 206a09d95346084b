import type { TestDatabase } from './database.js';

export interface LegacySeed {
  /** Live unsigned_users rows (each a claimant of its own). */
  unsigned: number;
  /** Live outstanding_requests rows (claimants with a pending requirement). */
  outstanding: number;
  /** Live legacy `callback` rows, written as an old application writes them. */
  callbacks: number;
  /** Closed (completed/removed) history rows, of claimants that also have a live row. */
  closed: number;
  /** Claimants with a live row of both types (a conflict the migration resolves). */
  bothTypes?: number;
  firstUserId?: number;
}

/**
 * Legacy data as a company on the single call_queue has it: claimants with scores, and
 * call_queue rows inserted the way the old application inserts them (no new columns). Set
 * based, so a million rows take seconds. Returns the user ids' range.
 */
export async function seedLegacy(db: Pick<TestDatabase, 'sql'>, s: LegacySeed): Promise<{ first: number; last: number; rows: number }> {
  const first = s.firstUserId ?? 500_000;
  const both = s.bothTypes ?? 0;
  const live = s.unsigned + s.outstanding + s.callbacks;
  const last = first + live - 1;
  await db.sql(`
    INSERT INTO claimants (user_id, claim_id, timezone, signature_status, signature_missing_since, signature_type)
    SELECT $1 + g, 'CLM-' || ($1 + g), 'UTC', CASE WHEN g < $2 THEN 'missing' ELSE 'obtained' END,
           CASE WHEN g < $2 THEN now() - interval '5 days' END, CASE WHEN g < $2 THEN 'initial' END
      FROM generate_series(0, $3 - 1) g`, [first, s.unsigned, live]);
  await db.sql(`
    INSERT INTO claim_requirements (user_id, claim_id, requirement_type, status, deadline)
    SELECT $1 + g, 'CLM-' || ($1 + g), 'medical_records', 'pending', now() + interval '10 days'
      FROM generate_series($2, $3 - 1) g`, [first, s.unsigned, live]);
  await db.sql(`
    INSERT INTO user_call_scores (user_id, current_score, current_queue_type)
    SELECT $1 + g, (g::bigint * 7919) % 9000, CASE WHEN g < $2 THEN 'unsigned_users' ELSE 'outstanding_requests' END
      FROM generate_series(0, $3 - 1) g`, [first, s.unsigned, live]);
  // Live rows: unsigned, then outstanding, then legacy callbacks (available at their time).
  await db.sql(`
    INSERT INTO call_queue (queue_type, user_id, claim_id, priority_score, available_from, created_at)
    SELECT CASE WHEN g < $2 THEN 'unsigned_users' WHEN g < $2 + $3 THEN 'outstanding_requests' ELSE 'callback' END,
           $1 + g, CASE WHEN g % 10 = 0 THEN NULL ELSE 'CLM-' || ($1 + g) END, (g::bigint * 7919) % 9000,
           CASE WHEN g < $2 + $3 THEN now() - interval '1 hour' ELSE now() + interval '2 hours' END,
           now() - make_interval(mins => g % 5000)
      FROM generate_series(0, $4 - 1) g`, [first, s.unsigned, s.outstanding, live]);
  // History: closed rows of the same claimants.
  await db.sql(`
    INSERT INTO call_queue (queue_type, user_id, claim_id, priority_score, status, available_from, created_at)
    SELECT CASE WHEN g % 2 = 0 THEN 'unsigned_users' ELSE 'outstanding_requests' END, $1 + (g % $3), 'CLM-' || ($1 + (g % $3)),
           (g::bigint * 31) % 9000, CASE WHEN g % 3 = 0 THEN 'removed' ELSE 'completed' END, now() - interval '3 days', now() - interval '3 days'
      FROM generate_series(0, $2 - 1) g`, [first, s.closed, live]);
  // Conflicts: the first `both` unsigned claimants also have a live outstanding row.
  if (both > 0) {
    await db.sql(`
      INSERT INTO call_queue (queue_type, user_id, claim_id, priority_score, available_from)
      SELECT 'outstanding_requests', $1 + g, 'CLM-' || ($1 + g), 10, now() - interval '1 hour' FROM generate_series(0, $2 - 1) g`,
    [first, both]);
  }
  return { first, last, rows: live + s.closed + both };
}

/** Puts the install in PRE_MIGRATION, as a first start over legacy rows does. */
export async function startLegacyPhase(db: Pick<TestDatabase, 'sql'>): Promise<void> {
  await db.sql(`UPDATE migration_state SET phase = 'PRE_MIGRATION', changed_by = 'install', reason = 'legacy rows found'`);
  await db.sql(`INSERT INTO migration_phase_changes (from_phase, to_phase, actor, reason) VALUES ('PRE_MIGRATION', 'PRE_MIGRATION', 'install', 'legacy rows found')`);
}
