import { Migration } from '@mikro-orm/migrations';

/**
 * The event log: every event an integrator can follow is a row written in the statement that
 * announces it (so in the transaction of the change), with the id of that transaction
 * (`txid`, xid8). Readers take events in (txid, id) order and only below their snapshot's xmin —
 * every transaction older than that has ended — so a transaction that commits late can never
 * be skipped by a cursor that has moved past it: its events were never handed out early.
 * Pruned after EVENT_RETENTION_DAYS.
 */
export class Migration20261202000014_event_log extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE event_log (
        id          bigint GENERATED ALWAYS AS IDENTITY,
        txid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
        type        text NOT NULL,
        queue_type  text,
        user_id     bigint,
        entry_id    bigint,
        subject_id  bigint,
        at          timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (txid, id)
      )`);
    this.addSql(`CREATE INDEX event_log_user_idx ON event_log (user_id, txid, id) WHERE user_id IS NOT NULL`);
    this.addSql(`CREATE INDEX event_log_at_idx ON event_log (at)`);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP TABLE event_log`);
  }
}
