import { Migration } from '@mikro-orm/migrations';

/**
 * The score policy in SQL, so the queues can be re-aged in the database (set-based, no row
 * through Node) and the repopulation can rank by the policy evaluated now. The same rule as
 * src/modules/score/score-policy.ts, operation by operation (a test compares them over a
 * generated matrix): times are taken in whole milliseconds, as JavaScript dates carry them,
 * and the deadline points use the same float8 arithmetic and round-half-up.
 *
 * `user_call_scores.priority_override`: a priority fixed by `enqueueUser(priorityScore)`; the
 * refresh leaves such an entry alone (the breakdown says so).
 */
export const URGENT_SIGNATURE = `
      CREATE FUNCTION callqueue_urgent_signature(missing_since timestamptz, at timestamptz) RETURNS boolean
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
        $$ SELECT missing_since IS NOT NULL AND callqueue_ms(at, missing_since) >= 14 * 86400000 $$`;

export const ESCALATION = `
      CREATE FUNCTION callqueue_escalation(deadline timestamptz, at timestamptz) RETURNS smallint
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
          SELECT (CASE WHEN deadline IS NULL THEN 0
                       WHEN callqueue_ms(deadline, at) <= 2 * 86400000 THEN 2
                       WHEN callqueue_ms(deadline, at) <= 7 * 86400000 THEN 1
                       ELSE 0 END)::smallint $$`;

// One SQL expression (not plpgsql), so the planner inlines it into the refresh's scan instead of
// calling a function per row.
export const POLICY_SCORE = `
      CREATE FUNCTION callqueue_policy_score(queue_type text, waiting_since timestamptz, total_attempts integer,
                                             signature_missing_since timestamptz, deadline timestamptz, at timestamptz)
        RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT least(9999, greatest(0,
                 1000
                 + least(4000, CASE WHEN waiting_since IS NULL THEN 0
                                    ELSE greatest(0, floor(callqueue_ms(at, waiting_since) / 3600000)) END * 25)
                 - least(1500, greatest(0, total_attempts) * 150)
                 + CASE WHEN queue_type = 'unsigned_users'
                        THEN CASE WHEN callqueue_urgent_signature(signature_missing_since, at) THEN 1500 ELSE 0 END
                        ELSE callqueue_escalation(deadline, at) * 800
                             + CASE WHEN deadline IS NULL THEN 0
                                    WHEN callqueue_ms(deadline, at) <= 0 THEN 2000
                                    WHEN callqueue_ms(deadline, at) < 7 * 86400000
                                      THEN floor(2000 * (1 - callqueue_ms(deadline, at)::float8 / (7 * 86400000)::float8) + 0.5)::numeric
                                    ELSE 0 END
                   END))::integer
      $$`;

export class Migration20261201000007_policy_in_sql extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE user_call_scores ADD COLUMN priority_override integer
                   CHECK (priority_override BETWEEN 0 AND 9999)`);
    // Milliseconds from b to a, each instant truncated to the millisecond first: exactly what
    // JavaScript's a.getTime() − b.getTime() gives for the same timestamps (Dates carry ms).
    // Written with immutable operators only (an interval's epoch, not a timestamptz's, which is
    // STABLE), so that every function here is inlined into the queries that use it.
    this.addSql(`
      CREATE FUNCTION callqueue_ms(a timestamptz, b timestamptz) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
        $$ SELECT floor(extract(epoch FROM a - timestamptz '1970-01-01 00:00:00+00') * 1000)
                - floor(extract(epoch FROM b - timestamptz '1970-01-01 00:00:00+00') * 1000) $$`);
    for (const statement of [URGENT_SIGNATURE, ESCALATION, POLICY_SCORE]) this.addSql(statement);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP FUNCTION callqueue_policy_score(text, timestamptz, integer, timestamptz, timestamptz, timestamptz)`);
    this.addSql(`DROP FUNCTION callqueue_escalation(timestamptz, timestamptz)`);
    this.addSql(`DROP FUNCTION callqueue_urgent_signature(timestamptz, timestamptz)`);
    this.addSql(`DROP FUNCTION callqueue_ms(timestamptz, timestamptz)`);
    this.addSql(`ALTER TABLE user_call_scores DROP COLUMN priority_override`);
  }
}
