import { Migration } from '@mikro-orm/migrations';
import { checkInserted } from './Migration20261202000022_queue_inserts_by_statement.js';

/**
 * How many live entries (pending or assigned) each queue holds, maintained instead of counted:
 * `queue { depth }` was a scan of every live entry (45 ms at 100,000), and dashboards poll it.
 *
 * `queue_live_counts` holds changes, one row per change (a statement's rows summed into one):
 * a queue's live count is the sum of its rows, which every snapshot sees consistently with the
 * entries (the rows are written by the statements that change the entries, in their
 * transactions). Writers only ever insert, so they never wait on each other for a counter row;
 * `callqueue_compact_live_counts` folds the rows into one per queue now and then (the leases
 * job). Claims and releases (pending ↔ assigned) change no count: depth = live − assigned,
 * and the assigned entries are counted (few, by an index).
 *
 * Every path that changes liveness writes a change: inserts (migration 0022's statement
 * trigger, replaced here), updates and deletes (a row trigger whose WHEN clause skips every
 * update that keeps an entry live or not live — a claim costs no call), TRUNCATE (the queue's
 * rows go). A test compares the sums with counts after raw SQL of each kind.
 */
const TABLES = [['unsigned_users_queue', 'unsigned_users'], ['outstanding_requests_queue', 'outstanding_requests']] as const;
const LIVE = `status IN ('pending', 'assigned')`;

const CHECK_INSERTED = checkInserted('CREATE OR REPLACE', `
    IF added > 0 THEN INSERT INTO queue_live_counts (queue_type, delta) VALUES (TG_ARGV[0], added); END IF;`);

/* An update that made an entry live or not live, or a deleted live entry: one change. */
const COUNT_CHANGE = `
  CREATE FUNCTION queue_entry_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO queue_live_counts (queue_type, delta)
    VALUES (TG_ARGV[0], CASE WHEN TG_OP = 'UPDATE' AND NEW.${LIVE} THEN 1 ELSE -1 END);
    RETURN NULL;
  END $$`;

const COUNT_TRUNCATE = `
  CREATE FUNCTION queue_entries_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    DELETE FROM queue_live_counts WHERE queue_type = TG_ARGV[0];
    RETURN NULL;
  END $$`;

/*
 * One row per queue from its changes. Concurrent compactions and writers are safe: a compaction
 * deletes only the rows its snapshot sees (a second one waits on them, then skips them) and
 * puts their sum back in the same transaction.
 */
const COMPACT = `
  CREATE FUNCTION callqueue_compact_live_counts() RETURNS integer LANGUAGE sql VOLATILE AS $$
    WITH folded AS (DELETE FROM queue_live_counts RETURNING queue_type, delta),
    kept AS (INSERT INTO queue_live_counts (queue_type, delta)
             SELECT queue_type, sum(delta) FROM folded GROUP BY queue_type RETURNING 1)
    SELECT (SELECT count(*)::int FROM folded) - (SELECT count(*)::int FROM kept)
  $$`;

export class Migration20261202000023_queue_live_counts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE queue_live_counts (queue_type text NOT NULL, delta bigint NOT NULL)`);
    this.addSql(`CREATE INDEX queue_live_counts_queue_idx ON queue_live_counts (queue_type)`);
    for (const statement of [CHECK_INSERTED, COUNT_CHANGE, COUNT_TRUNCATE, COMPACT]) this.addSql(statement);
    for (const [table, queueType] of TABLES) {
      this.addSql(`INSERT INTO queue_live_counts (queue_type, delta) SELECT '${queueType}', count(*) FROM ${table} WHERE ${LIVE}`);
      this.addSql(`CREATE TRIGGER ${table}_count_update AFTER UPDATE OF status ON ${table} FOR EACH ROW
                     WHEN ((OLD.${LIVE}) IS DISTINCT FROM (NEW.${LIVE})) EXECUTE FUNCTION queue_entry_count_change('${queueType}')`);
      this.addSql(`CREATE TRIGGER ${table}_count_delete AFTER DELETE ON ${table} FOR EACH ROW
                     WHEN (OLD.${LIVE}) EXECUTE FUNCTION queue_entry_count_change('${queueType}')`);
      this.addSql(`CREATE TRIGGER ${table}_count_truncate AFTER TRUNCATE ON ${table} FOR EACH STATEMENT
                     EXECUTE FUNCTION queue_entries_truncated('${queueType}')`);
    }
  }

  override async down(): Promise<void> {
    for (const [table] of TABLES) {
      for (const trigger of ['count_update', 'count_delete', 'count_truncate']) this.addSql(`DROP TRIGGER ${table}_${trigger} ON ${table}`);
    }
    this.addSql(checkInserted('CREATE OR REPLACE'));
    this.addSql(`DROP FUNCTION callqueue_compact_live_counts()`);
    this.addSql(`DROP FUNCTION queue_entries_truncated()`);
    this.addSql(`DROP FUNCTION queue_entry_count_change()`);
    this.addSql(`DROP TABLE queue_live_counts`);
  }
}
