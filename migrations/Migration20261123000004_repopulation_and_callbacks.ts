import { Migration } from '@mikro-orm/migrations';

/** The live-slot guard of 0003, whose per-row exception block (a subtransaction) this replaces. */
const GUARD_WITH_SUBTRANSACTION = `
  CREATE OR REPLACE FUNCTION queue_entry_hold_live_slot() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    was_live boolean := TG_OP <> 'INSERT' AND OLD.status IN ('pending', 'assigned');
    is_live  boolean := TG_OP <> 'DELETE' AND NEW.status IN ('pending', 'assigned');
    holder   text;
  BEGIN
    IF was_live AND (NOT is_live OR OLD.user_id <> NEW.user_id) THEN
      DELETE FROM queue_live_claimants WHERE user_id = OLD.user_id AND entry_id = OLD.id;
    END IF;
    IF is_live AND (NOT was_live OR OLD.user_id <> NEW.user_id) THEN
      BEGIN
        INSERT INTO queue_live_claimants (user_id, queue_type, entry_id)
        VALUES (NEW.user_id, TG_ARGV[0], NEW.id);
      EXCEPTION WHEN unique_violation THEN
        SELECT queue_type INTO holder FROM queue_live_claimants WHERE user_id = NEW.user_id;
        RAISE EXCEPTION 'claimant % already has a live entry in %', NEW.user_id, holder
          USING ERRCODE = 'unique_violation', CONSTRAINT = 'one_live_entry_per_claimant';
      END;
    END IF;
    RETURN NULL;
  END $$`;

/**
 * Repopulation and callbacks.
 * - The live-slot guard claims its slot with ON CONFLICT DO NOTHING instead of catching the
 *   unique violation: same guarantee (the primary key still decides races; a conflicting
 *   insert in flight is waited for), without a subtransaction per row — a repopulation that
 *   adds 100,000 entries paid one each.
 * - callbacks.created_entry: the callback put the claimant in its queue (it had no live
 *   entry), so cancelling it takes the claimant out again.
 */
export class Migration20261123000004_repopulation_and_callbacks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE OR REPLACE FUNCTION queue_entry_hold_live_slot() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        was_live boolean := TG_OP <> 'INSERT' AND OLD.status IN ('pending', 'assigned');
        is_live  boolean := TG_OP <> 'DELETE' AND NEW.status IN ('pending', 'assigned');
        holder   text;
      BEGIN
        IF was_live AND (NOT is_live OR OLD.user_id <> NEW.user_id) THEN
          DELETE FROM queue_live_claimants WHERE user_id = OLD.user_id AND entry_id = OLD.id;
        END IF;
        IF is_live AND (NOT was_live OR OLD.user_id <> NEW.user_id) THEN
          INSERT INTO queue_live_claimants (user_id, queue_type, entry_id)
          VALUES (NEW.user_id, TG_ARGV[0], NEW.id)
          ON CONFLICT (user_id) DO NOTHING;
          IF NOT FOUND THEN
            SELECT queue_type INTO holder FROM queue_live_claimants WHERE user_id = NEW.user_id;
            RAISE EXCEPTION 'claimant % already has a live entry in %', NEW.user_id, holder
              USING ERRCODE = 'unique_violation', CONSTRAINT = 'one_live_entry_per_claimant';
          END IF;
        END IF;
        RETURN NULL;
      END $$`);
    this.addSql(`ALTER TABLE callbacks ADD COLUMN created_entry boolean NOT NULL DEFAULT false`);
    // At most one pending callback per claimant: a new one supersedes the old.
    this.addSql(`CREATE UNIQUE INDEX callbacks_one_pending_idx ON callbacks (user_id) WHERE status = 'pending'`);
    this.addSql(`CREATE INDEX queue_population_runs_started_idx ON queue_population_runs (started_at DESC)`);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP INDEX queue_population_runs_started_idx`);
    this.addSql(`DROP INDEX callbacks_one_pending_idx`);
    this.addSql(`ALTER TABLE callbacks DROP COLUMN created_entry`);
    this.addSql(GUARD_WITH_SUBTRANSACTION);
  }
}
