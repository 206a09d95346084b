import { Migration } from '@mikro-orm/migrations';
import { ESCALATION, POLICY_SCORE, URGENT_SIGNATURE } from './Migration20261201000007_policy_in_sql.js';

/**
 * The score policy in float8 instead of numeric: the same results for less work per row, where a
 * rebuild ranks every candidate and the priority refresh re-ages every live entry (a scan of
 * 600,000 claimants evaluating the policy, one core, unloaded: 0.67 s → 0.43 s; a refresh run
 * with nothing to change, 2 × 100,000 entries: 1.9 s → 1.3–1.6 s).
 *
 * Migration 0007 took an instant's milliseconds as floor(extract(epoch …) × 1000): numeric
 * (extract returns numeric since PostgreSQL 14), and everything after it numeric too.
 * callqueue_epoch_ms reads the same whole milliseconds exactly from the interval's parts —
 * days, hours and minutes are whole, `microseconds` holds the seconds and their fraction — each
 * a float8 holding an integer (exact far beyond any date: 2^53 ms), and floors only the
 * sub-minute part, so the floor is exact too (its operands are below 60,000,000). ±infinity,
 * whose interval has no parts, is ±Infinity, as numeric's epoch and JavaScript's getTime() give.
 * From there the policy computes in float8 what score-policy.ts computes in JavaScript numbers
 * (float64), the same operations in the same order: the hour and deadline divisions round alike.
 *
 * Still immutable SQL expressions: the planner inlines them into the queries that use them.
 */
const EPOCH_MS = `
  CREATE FUNCTION callqueue_epoch_ms(t timestamptz) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN isfinite(t)
                THEN date_part('day', t - timestamptz '1970-01-01 00:00:00+00') * 86400000
                   + date_part('hour', t - timestamptz '1970-01-01 00:00:00+00') * 3600000
                   + date_part('minute', t - timestamptz '1970-01-01 00:00:00+00') * 60000
                   + floor(date_part('microseconds', t - timestamptz '1970-01-01 00:00:00+00') / 1000)
                WHEN t > timestamptz '1970-01-01 00:00:00+00' THEN 'Infinity'::float8 ELSE '-Infinity'::float8 END
  $$`;

/* Milliseconds from b to a, as JavaScript's a.getTime() − b.getTime(). */
const ELAPSED_MS = `
  CREATE FUNCTION callqueue_elapsed_ms(a timestamptz, b timestamptz) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT callqueue_epoch_ms(a) - callqueue_epoch_ms(b)
  $$`;

/*
 * Migration 0007's three functions, the same text on callqueue_elapsed_ms (float8) instead of
 * callqueue_ms (numeric): one rule, written once. The deadline's float8 arithmetic was already
 * float8; only its cast back to numeric goes.
 */
const inFloat8 = (body: string) => body
  .replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION')
  .replaceAll('callqueue_ms(', 'callqueue_elapsed_ms(')
  .replace(' + 0.5)::numeric', ' + 0.5)');

export class Migration20261202000024_policy_in_float8 extends Migration {
  override async up(): Promise<void> {
    for (const statement of [EPOCH_MS, ELAPSED_MS, ...[URGENT_SIGNATURE, ESCALATION, POLICY_SCORE].map(inFloat8)]) this.addSql(statement);
  }

  override async down(): Promise<void> {
    for (const body of [URGENT_SIGNATURE, ESCALATION, POLICY_SCORE]) this.addSql(body.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'));
    this.addSql(`DROP FUNCTION callqueue_elapsed_ms(timestamptz, timestamptz)`);
    this.addSql(`DROP FUNCTION callqueue_epoch_ms(timestamptz)`);
  }
}
