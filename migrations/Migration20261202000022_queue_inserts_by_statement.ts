import { Migration } from '@mikro-orm/migrations';

/**
 * An insert into a queue table checks its rows once per statement instead of once per row: the
 * claimant not erased (migration 0017's refuse_erased_claimant, a lookup per row) and its live
 * slot taken in queue_live_claimants (migration 0003's queue_entry_hold_live_slot, a plpgsql
 * call with an exception block — a subtransaction — per row). A repopulation inserting 100,000
 * entries paid both 100,000 times; now one join over the statement's rows does each, on the
 * transition table the legacy mirror's statement trigger already collects.
 *
 * The rules and their errors are the same, against raw SQL too: the slot's primary key still
 * decides races between transactions (an INSERT … SELECT waits on a conflicting uncommitted
 * slot as a row insert did), and a refusal names the claimant and the queue holding it, with
 * the same SQLSTATE and constraint name. Updates and deletes keep the row trigger: they change
 * few rows, and a statement trigger on UPDATE (no column list is allowed with transition tables)
 * would run on every priority refresh.
 */
const TABLES = [['unsigned_users_queue', 'unsigned_users'], ['outstanding_requests_queue', 'outstanding_requests']] as const;

/**
 * The insert statement trigger's function; `counted` adds what a later migration does with the
 * number of live entries the statement added (`added`) — migration 0023 counts them.
 */
export const checkInserted = (create: 'CREATE' | 'CREATE OR REPLACE', counted = '') => `
  ${create} FUNCTION queue_entries_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    refused record;
    added bigint;
  BEGIN
    SELECT n.user_id INTO refused FROM new_rows n JOIN claimants c ON c.user_id = n.user_id
     WHERE c.erased_at IS NOT NULL ORDER BY n.id LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'claimant % was erased: it cannot be queued, called or scheduled again', refused.user_id
        USING ERRCODE = 'check_violation', CONSTRAINT = 'claimant_erased';
    END IF;
    BEGIN
      INSERT INTO queue_live_claimants (user_id, queue_type, entry_id)
      SELECT n.user_id, TG_ARGV[0], n.id FROM new_rows n WHERE n.status IN ('pending', 'assigned');
      GET DIAGNOSTICS added = ROW_COUNT;
    EXCEPTION WHEN unique_violation THEN
      -- The slots this statement took are undone with the block: the one held is another's.
      SELECT n.user_id, l.queue_type INTO refused FROM new_rows n JOIN queue_live_claimants l ON l.user_id = n.user_id
       WHERE n.status IN ('pending', 'assigned') ORDER BY n.id LIMIT 1;
      RAISE EXCEPTION 'claimant % already has a live entry in %', refused.user_id, refused.queue_type
        USING ERRCODE = 'unique_violation', CONSTRAINT = 'one_live_entry_per_claimant';
    END;${counted}
    RETURN NULL;
  END $$`;

export class Migration20261202000022_queue_inserts_by_statement extends Migration {
  override async up(): Promise<void> {
    this.addSql(checkInserted('CREATE'));
    for (const [table, queueType] of TABLES) {
      this.addSql(`DROP TRIGGER ${table}_not_erased ON ${table}`);
      this.addSql(`DROP TRIGGER ${table}_live_slot ON ${table}`);
      this.addSql(`CREATE TRIGGER ${table}_live_slot AFTER DELETE OR UPDATE OF status, user_id
                     ON ${table} FOR EACH ROW EXECUTE FUNCTION queue_entry_hold_live_slot('${queueType}')`);
      this.addSql(`CREATE TRIGGER ${table}_inserted AFTER INSERT ON ${table} REFERENCING NEW TABLE AS new_rows
                     FOR EACH STATEMENT EXECUTE FUNCTION queue_entries_inserted('${queueType}')`);
    }
  }

  override async down(): Promise<void> {
    for (const [table, queueType] of TABLES) {
      this.addSql(`DROP TRIGGER ${table}_inserted ON ${table}`);
      this.addSql(`DROP TRIGGER ${table}_live_slot ON ${table}`);
      this.addSql(`CREATE TRIGGER ${table}_live_slot AFTER INSERT OR DELETE OR UPDATE OF status, user_id
                     ON ${table} FOR EACH ROW EXECUTE FUNCTION queue_entry_hold_live_slot('${queueType}')`);
      this.addSql(`CREATE TRIGGER ${table}_not_erased BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_erased_claimant()`);
    }
    this.addSql(`DROP FUNCTION queue_entries_inserted()`);
  }
}
