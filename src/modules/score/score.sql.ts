import type { EntityManager } from '@mikro-orm/postgresql';
import { rowMapper, STAMPS } from '../../db/rows.js';
import { queryOne, queryRows, sql, toDate } from '../../db/sql.js';
import type { Operation } from '../operation.js';
import type { QueueType } from '../queue-type.js';
import type { UserCallScore } from './score.entity.js';

/*
 * syncScore: the claimant's score row follows its queue and the policy's score (created if
 * missing). `at` is the instant the score was computed for (last_queue_check: scoreBreakdown
 * explains the score as of then); `override` is a priority fixed by enqueueUser, which every
 * later re-scoring clears.
 */
export async function syncScore(
  op: Operation, userId: number, queueType: QueueType | null, score: number, at: Date, override: number | null = null,
): Promise<void> {
  await queryOne(op.em, sql`/* syncScore */
    INSERT INTO user_call_scores (user_id, current_score, current_queue_type, is_active, last_queue_check, priority_override)
    VALUES (${userId}, ${score}, ${queueType}, true, ${at}, ${override})
    ON CONFLICT (user_id) DO UPDATE
      SET current_score = EXCLUDED.current_score, current_queue_type = EXCLUDED.current_queue_type,
          last_queue_check = EXCLUDED.last_queue_check, priority_override = EXCLUDED.priority_override, updated_at = now()`);
}

/*
 * recordAttempt: one more call attempt at `at`; the daily count restarts on a new calendar day
 * of the claimant's own zone (migration 0008's callqueue_local_day), not on a new UTC day.
 */
export async function recordAttempt(
  op: Operation, userId: number, outcome: string, cooldownMinutes: number, at: Date = new Date(),
): Promise<{ totalAttempts: number; attemptsToday: number; nextCallAfter: Date }> {
  const row = await queryOne<{ total_attempts: number; attempts_today: number; next_call_after: string }>(op.em, sql`/* recordAttempt */
    INSERT INTO user_call_scores AS s (user_id, total_attempts, attempts_today, last_reset_date, last_call_at, last_outcome, next_call_after)
    SELECT ${userId}, 1, 1, callqueue_local_day(c.timezone, ${at}::timestamptz), ${at}::timestamptz, ${outcome},
           ${at}::timestamptz + make_interval(mins => ${cooldownMinutes})
      FROM claimants c WHERE c.user_id = ${userId}
    ON CONFLICT (user_id) DO UPDATE SET
      total_attempts = s.total_attempts + 1,
      attempts_today = CASE WHEN s.last_reset_date = EXCLUDED.last_reset_date THEN s.attempts_today + 1 ELSE 1 END,
      last_reset_date = EXCLUDED.last_reset_date,
      last_call_at = EXCLUDED.last_call_at, last_outcome = EXCLUDED.last_outcome, next_call_after = EXCLUDED.next_call_after, updated_at = now()
    RETURNING total_attempts, attempts_today, next_call_after`);
  return { totalAttempts: row!.total_attempts, attemptsToday: row!.attempts_today, nextCallAfter: toDate(row!.next_call_after)! };
}

export async function deactivateScore(op: Operation, userId: number): Promise<void> {
  await queryOne(op.em, sql`/* deactivateScore */ UPDATE user_call_scores SET is_active = false, updated_at = now() WHERE user_id = ${userId}`);
}

const toScore = rowMapper<UserCallScore>([...STAMPS, 'last_queue_check', 'last_call_at', 'next_call_after']);

/*
 * scoresByUserIds: last_reset_date is a date, sent as text (YYYY-MM-DD), kept as text;
 * attempts_today is the count for the claimant's own day now (0 once that day has passed).
 */
export async function scoresByUserIds(em: EntityManager, userIds: readonly number[]): Promise<UserCallScore[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* scoresByUserIds */
    SELECT s.user_id, s.current_score, s.is_active, s.current_queue_type, s.last_reset_date, s.last_queue_check,
           s.total_attempts, callqueue_attempts_today(s.last_reset_date, s.attempts_today, c.timezone, now()) AS attempts_today,
           s.last_call_at, s.last_outcome, s.next_call_after, s.priority_override, s.created_at, s.updated_at
      FROM user_call_scores s JOIN claimants c ON c.user_id = s.user_id
     WHERE s.user_id = ANY(${[...userIds]}::bigint[])`)).map(toScore);
}

/* ensureScore: a new claimant gets its score row (in the unsigned queue's type while it has to sign). */
export async function ensureScore(em: EntityManager, userId: number, queueType: QueueType | null): Promise<void> {
  await queryOne(em, sql`/* ensureScore */ INSERT INTO user_call_scores (user_id, current_queue_type)
    VALUES (${userId}, ${queueType}) ON CONFLICT (user_id) DO NOTHING`);
}
