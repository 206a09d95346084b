import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, queryRows, raw, sql } from '../../db/sql.js';
import { QUEUE_TABLE, type QueueStore, type QueueType } from '../queue-type.js';

/**
 * The set-based rebuild of one queue, inside the caller's transaction (one per queue):
 *
 *   1. target   the top N claimants by the score policy at the rebuild's instant that may be
 *               in this queue now, with the entry columns they should have — into a temp
 *               table, reading only (no queue row is locked while the expensive part runs);
 *   2. apply    the difference: close the entries that fall out, refresh the ones that stay
 *               (only those whose columns change), insert the newcomers.
 *
 * Readers see the old queue until COMMIT and the new one after: nothing is ever emptied. A
 * claiming agent skips only rows this transaction changed (SKIP LOCKED); unchanged entries
 * and the rest of the queue stay claimable throughout.
 *
 * Kept whatever the cut: assigned entries (an agent is on them) and callback entries. Entries
 * that stay keep their id, enqueued_at, availability and assignment.
 *
 * The entry columns derived here mirror `entryDetailsFor` (claimant/facts.ts); a test checks
 * that a queue written by enqueueUser comes out of a rebuild unchanged.
 */
export interface QueueRebuild {
  queueType: QueueType;
  added: number;
  removed: number;
  kept: number;
  reprioritised: number;
  /** How long each step took (ms): target, remove, add, refresh, scores — where a slow rebuild spends its time. */
  stepsMs?: Record<string, number>;
  /** Dry runs: who would enter, leave and change priority (a few of each). */
  sample?: { entering: number[]; leaving: number[]; reprioritised: { userId: number; from: number; to: number }[] };
}

const SAMPLE_SIZE = 10;

/*
 * repopulationTarget: who should be in the queue at `at`, with their entry columns.
 *
 * Candidates are ranked by the score policy evaluated at `at` (migration 0007's
 * callqueue_policy_score, the rule the priority refresh applies to live entries), not by the
 * stored score, which is current only for claimants with a live entry. A candidate's wait
 * starts where its entry's would: its live entry's enqueued_at, or `at` for a newcomer (whose
 * entry is enqueued at `at`), or earlier when its signature went missing before. A live entry
 * whose priority is not the policy's keeps it: a priority fixed by enqueueUser also ranks it; a
 * callback's 9999 does not (the policy does), since callback entries are kept anyway.
 */
async function buildTarget(em: EntityManager, store: QueueStore, queueType: QueueType, topN: number, at: Date): Promise<void> {
  const other = raw(QUEUE_TABLE[store][queueType === 'unsigned_users' ? 'outstanding_requests' : 'unsigned_users']);
  const now = sql`${at}::timestamptz`;
  // Outstanding: the nearest pending deadline per claimant, aggregated once (a hash join), which
  // is also the validity rule (a requirement still pending).
  const owed = queueType === 'unsigned_users'
    ? sql``
    : sql`JOIN (SELECT user_id, min(deadline) AS deadline FROM claim_requirements WHERE status = 'pending' GROUP BY user_id) owed
            ON owed.user_id = s.user_id`;
  const validity = queueType === 'unsigned_users' ? sql`c.signature_status = 'missing'` : sql`true`;
  const deadline = raw(queueType === 'unsigned_users' ? 'NULL::timestamptz' : 'owed.deadline');
  const details = queueType === 'unsigned_users'
    ? sql`date_trunc('milliseconds', c.signature_missing_since) AS signature_missing_since, c.signature_type,
          callqueue_urgent_signature(c.signature_missing_since, ${now}) AS urgent_signature`
    : sql`req.types AS requirement_types, req.total AS total_requirements, req.pending AS pending_requirements,
          date_trunc('milliseconds', req.deadline) AS document_deadline, callqueue_escalation(req.deadline, ${now}) AS escalation_level`;
  const requirements = queueType === 'unsigned_users' ? sql`` : sql`CROSS JOIN LATERAL (
      SELECT coalesce(array_agg(requirement_type ORDER BY id) FILTER (WHERE status = 'pending'), '{}') AS types,
             count(*) FILTER (WHERE status <> 'waived')::int AS total,
             count(*) FILTER (WHERE status = 'pending')::int AS pending,
             min(deadline) FILTER (WHERE status = 'pending') AS deadline
        FROM claim_requirements WHERE user_id = top.user_id) req`;
  // live_entry_id: whether the claimant is in the queue already, decided here rather than by
  // an anti-join in the INSERT, which the planner would run against the table being filled
  // (a nested loop over a growing table: quadratic).
  await queryRows(em, sql`/* repopulationTarget */
    CREATE TEMP TABLE repopulation_target ON COMMIT DROP AS
    SELECT top.user_id, top.claim_id, top.priority_score, top.live_entry_id, top.scored, ${details}
      FROM (SELECT s.user_id, c.claim_id, live.id AS live_entry_id,
                   -- scored: the priority is the policy's (the score row follows it); else it is kept.
                   (live.callback_id IS NULL AND NOT fixed) AS scored,
                   CASE WHEN live.callback_id IS NOT NULL OR fixed THEN live.priority_score ELSE policy END AS priority_score,
                   -- The rank: a fixed priority counts as it is; a callback's 9999 does not take a
                   -- place from the policy's top N (the entry is kept whatever the cut).
                   CASE WHEN fixed THEN live.priority_score ELSE policy END AS rank
              FROM user_call_scores s
              JOIN claimants c ON c.user_id = s.user_id
              ${owed}
              LEFT JOIN ${raw(QUEUE_TABLE[store][queueType])} live ON live.user_id = s.user_id AND live.status IN ('pending', 'assigned')
              CROSS JOIN LATERAL (
                SELECT live.id IS NOT NULL AND s.priority_override IS NOT NULL AS fixed,
                       callqueue_policy_score(${queueType}, least(coalesce(live.enqueued_at, ${now}), c.signature_missing_since),
                                              s.total_attempts, c.signature_missing_since, ${deadline}, ${now}) AS policy) x
             WHERE s.is_active AND s.current_queue_type = ${queueType}
               AND NOT c.do_not_call AND c.converted_at IS NULL AND ${validity}
               -- A claimant live in the other queue moves by transition, not by a rebuild.
               AND NOT EXISTS (SELECT 1 FROM ${other} o WHERE o.user_id = s.user_id AND o.status IN ('pending', 'assigned'))
             ORDER BY rank DESC, s.user_id
             LIMIT ${topN}) top
      JOIN claimants c ON c.user_id = top.user_id
      ${requirements}`);
  await queryRows(em, sql`/* indexRepopulationTarget */ CREATE UNIQUE INDEX ON repopulation_target (user_id)`);
  await queryRows(em, sql`/* analyzeRepopulationTarget */ ANALYZE repopulation_target`);
}

/** The entry columns a rebuild refreshes, as `e.x IS DISTINCT FROM t.x` pairs and `x = t.x` assignments. */
function refreshedColumns(queueType: QueueType): string[] {
  return queueType === 'unsigned_users'
    ? ['signature_missing_since', 'signature_type', 'urgent_signature']
    : ['requirement_types', 'total_requirements', 'pending_requirements', 'document_deadline', 'escalation_level'];
}

/* The live entries the rebuild leaves alone whatever the cut. */
const PROTECTED = `(e.status = 'assigned' OR e.callback_id IS NOT NULL)`;

/*
 * Timestamps are compared at millisecond precision: entries written through the services
 * carry JavaScript dates (ms), the facts carry Postgres microseconds; without the truncation
 * every such entry would look changed to every rebuild.
 */
export async function rebuildQueue(
  em: EntityManager, store: QueueStore, queueType: QueueType, topN: number, actor: string, dryRun: boolean, at: Date,
): Promise<QueueRebuild> {
  const steps: Record<string, number> = {};
  let mark = performance.now();
  const step = (name: string) => {
    const now = performance.now();
    steps[name] = Math.round(now - mark);
    mark = now;
  };
  await buildTarget(em, store, queueType, topN, at);
  step('target');
  const table = raw(QUEUE_TABLE[store][queueType]);
  const columns = refreshedColumns(queueType);
  const changed = raw([`(e.callback_id IS NULL AND e.priority_score <> t.priority_score)`,
    ...columns.map((c) => `e.${c} IS DISTINCT FROM t.${c}`)].join(' OR '));
  if (dryRun) return preview(em, queueType, table);

  const removed = await queryOne<{ n: number }>(em, sql`/* repopulationRemove */
    WITH gone AS (
      UPDATE ${table} e SET status = 'removed', closed_at = now(), updated_at = now(),
             closed_reason = 'repopulation: no longer among the top claimants of the queue, or no longer valid'
       WHERE e.status = 'pending' AND NOT ${raw(PROTECTED)}
         AND NOT EXISTS (SELECT 1 FROM repopulation_target t WHERE t.user_id = e.user_id)
      RETURNING e.user_id),
    logged AS (
      INSERT INTO queue_transitions (user_id, from_queue, to_queue, reason, actor)
      SELECT user_id, ${queueType}, NULL, 'repopulation', ${actor} FROM gone)
    SELECT count(*)::int AS n FROM gone`);
  step('remove');
  const added = await queryOne<{ n: number }>(em, sql`/* repopulationAdd */
    WITH fresh AS (
      INSERT INTO ${table} (user_id, claim_id, priority_score, enqueued_at, ${raw(columns.join(', '))})
      SELECT t.user_id, t.claim_id, t.priority_score, ${at}::timestamptz, ${raw(columns.map((c) => `t.${c}`).join(', '))}
        FROM repopulation_target t
       WHERE t.live_entry_id IS NULL
      RETURNING user_id),
    logged AS (
      INSERT INTO queue_transitions (user_id, from_queue, to_queue, reason, actor)
      SELECT user_id, NULL, ${queueType}, 'repopulation', ${actor} FROM fresh)
    SELECT count(*)::int AS n FROM fresh`);
  step('add');
  // Last, so the rows it locks are held for the shortest time before COMMIT. The old priority
  // is read in the same statement (RETURNING sees only the new row) to count who moved.
  const reprioritised = await queryOne<{ n: number }>(em, sql`/* repopulationRefresh */
    WITH before AS (
      SELECT e.id, e.priority_score FROM ${table} e JOIN repopulation_target t ON t.user_id = e.user_id
       WHERE e.status IN ('pending', 'assigned') AND (${changed})
       FOR UPDATE OF e),
    refreshed AS (
      UPDATE ${table} e
         SET priority_score = CASE WHEN e.callback_id IS NULL THEN t.priority_score ELSE e.priority_score END,
             ${raw(columns.map((c) => `${c} = t.${c}`).join(', '))}, updated_at = now()
        FROM repopulation_target t, before b
       WHERE b.id = e.id AND t.user_id = e.user_id
      RETURNING e.priority_score <> b.priority_score AS moved)
    SELECT count(*) FILTER (WHERE moved)::int AS n FROM refreshed`);
  step('refresh');
  // The score rows follow (currentScore = priorityScore, explained as of `at`), as the refresh
  // keeps them; a kept priority (callback, fixed) leaves its score row alone.
  await queryRows(em, sql`/* repopulationScores */
    UPDATE user_call_scores s SET current_score = t.priority_score, last_queue_check = ${at}, updated_at = now()
      FROM repopulation_target t
     WHERE s.user_id = t.user_id AND t.scored AND (s.current_score <> t.priority_score OR t.live_entry_id IS NULL)`);
  step('scores');
  const live = await queryOne<{ n: number }>(em, sql`/* liveEntryCount */ SELECT count(*)::int AS n FROM ${table} WHERE status IN ('pending', 'assigned')`);
  return { queueType, added: added!.n, removed: removed!.n, kept: live!.n - added!.n, reprioritised: reprioritised!.n, stepsMs: steps };
}

/* repopulationPreview: the same difference, counted and sampled, nothing written. */
async function preview(em: EntityManager, queueType: QueueType, table: ReturnType<typeof raw>): Promise<QueueRebuild> {
  const row = await queryOne<{
    added: number; removed: number; live: number; reprioritised: number;
    entering: number[]; leaving: number[]; moving: { userId: number; from: number; to: number }[] | null;
  }>(em, sql`/* repopulationPreview */
    WITH live AS (SELECT * FROM ${table} e WHERE e.status IN ('pending', 'assigned')),
    entering AS (SELECT t.user_id, t.priority_score FROM repopulation_target t WHERE NOT EXISTS (SELECT 1 FROM live e WHERE e.user_id = t.user_id)),
    leaving AS (SELECT e.user_id, e.priority_score FROM live e
                 WHERE e.status = 'pending' AND NOT ${raw(PROTECTED)}
                   AND NOT EXISTS (SELECT 1 FROM repopulation_target t WHERE t.user_id = e.user_id)),
    moving AS (SELECT e.user_id, e.priority_score AS before, t.priority_score AS after FROM live e
                 JOIN repopulation_target t ON t.user_id = e.user_id WHERE e.callback_id IS NULL AND e.priority_score <> t.priority_score)
    SELECT (SELECT count(*) FROM entering)::int AS added, (SELECT count(*) FROM leaving)::int AS removed,
           (SELECT count(*) FROM live)::int AS live, (SELECT count(*) FROM moving)::int AS reprioritised,
           (SELECT coalesce(array_agg(user_id), '{}') FROM (SELECT user_id FROM entering ORDER BY priority_score DESC, user_id LIMIT ${SAMPLE_SIZE}) x) AS entering,
           (SELECT coalesce(array_agg(user_id), '{}') FROM (SELECT user_id FROM leaving ORDER BY priority_score, user_id LIMIT ${SAMPLE_SIZE}) x) AS leaving,
           (SELECT json_agg(json_build_object('userId', user_id, 'from', before, 'to', after))
              FROM (SELECT * FROM moving ORDER BY abs(after - before) DESC, user_id LIMIT ${SAMPLE_SIZE}) x) AS moving`);
  return {
    queueType, added: row!.added, removed: row!.removed, kept: row!.live - row!.removed, reprioritised: row!.reprioritised,
    sample: { entering: row!.entering.map(Number), leaving: row!.leaving.map(Number), reprioritised: row!.moving ?? [] },
  };
}
