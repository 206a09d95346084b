import { Migration } from '@mikro-orm/migrations';

/**
 * What the console reads: one sample of each queue's figures per minute (`queue_samples`,
 * written once per minute across instances — the primary key decides — and pruned after
 * QUEUE_SAMPLE_RETENTION_DAYS); indexes to read a claimant's calls and calls over time; and a
 * `linesChanged` event whenever the lines row changes (a call started or ended, the limit
 * moved), sent by the database itself so no writer — raw SQL included — can forget it.
 */
export class Migration20261202000010_console extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE queue_samples (
        minute          timestamptz NOT NULL CHECK (minute = date_trunc('minute', minute)),
        queue_type      text NOT NULL CHECK (queue_type IN ('unsigned_users', 'outstanding_requests')),
        depth           integer NOT NULL CHECK (depth >= 0),
        available_now   integer NOT NULL CHECK (available_now >= 0),
        assigned_count  integer NOT NULL CHECK (assigned_count >= 0),
        taken_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (minute, queue_type)
      )`);
    this.addSql(`CREATE INDEX call_sessions_user_idx ON call_sessions (user_id, started_at)`);
    // The calls-per-bucket chart reads sessions by start time over a day.
    this.addSql(`CREATE INDEX call_sessions_started_idx ON call_sessions (started_at)`);
    // now() (the transaction's start): the notifications of one transaction are one payload,
    // which Postgres sends once.
    this.addSql(`
      CREATE FUNCTION call_lines_announce() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('callqueue_events', json_build_object('topic', 'linesChanged',
          'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text);
        RETURN NULL;
      END $$`);
    this.addSql(`CREATE TRIGGER call_lines_announce AFTER UPDATE ON call_lines FOR EACH STATEMENT EXECUTE FUNCTION call_lines_announce()`);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP TRIGGER call_lines_announce ON call_lines`);
    this.addSql(`DROP FUNCTION call_lines_announce()`);
    this.addSql(`DROP INDEX call_sessions_started_idx`);
    this.addSql(`DROP INDEX call_sessions_user_idx`);
    this.addSql(`DROP TABLE queue_samples`);
  }
}
