import { Migration } from '@mikro-orm/migrations';

/**
 * The contact policy applies wherever a call starts; what departs from it is recorded: a direct
 * call an agent starts outside the policy carries its `override_reason` (on the request while
 * it waits for a line, then on the session), and a callback promised for a time outside
 * calling hours because the claimant asked for it is `claimant_requested`.
 *
 * Days are the claimant's days: the daily attempt cap counts per calendar day in the
 * claimant's time zone (`callqueue_local_day`), where it counted per UTC day.
 */
export class Migration20261201000008_contact_policy extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE call_sessions ADD COLUMN override_reason text CHECK (length(override_reason) BETWEEN 1 AND 500)`);
    this.addSql(`ALTER TABLE call_requests ADD COLUMN override_reason text CHECK (length(override_reason) BETWEEN 1 AND 500)`);
    this.addSql(`ALTER TABLE callbacks ADD COLUMN claimant_requested boolean NOT NULL DEFAULT false`);
    this.addSql(`
      CREATE FUNCTION callqueue_local_day(tz text, at timestamptz) RETURNS date LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT (at AT TIME ZONE tz)::date $$`);
    this.addSql(`
      CREATE FUNCTION callqueue_attempts_today(last_reset date, attempts integer, tz text, at timestamptz) RETURNS integer
        LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT CASE WHEN last_reset = callqueue_local_day(tz, at) THEN attempts ELSE 0 END $$`);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP FUNCTION callqueue_attempts_today(date, integer, text, timestamptz)`);
    this.addSql(`DROP FUNCTION callqueue_local_day(text, timestamptz)`);
    this.addSql(`ALTER TABLE callbacks DROP COLUMN claimant_requested`);
    this.addSql(`ALTER TABLE call_requests DROP COLUMN override_reason`);
    this.addSql(`ALTER TABLE call_sessions DROP COLUMN override_reason`);
  }
}
