import { Migration } from '@mikro-orm/migrations';
import { PUBLISH_ENTRY } from './Migration20261202000018_claim_in_sql.js';
import { PUBLISH_CONVERSION } from './Migration20261202000021_calls_in_sql.js';

/**
 * The hot writes' notifications are sent after their commit, not from their transaction.
 *
 * A transaction that calls NOTIFY takes a database-wide lock at its commit and holds it through
 * the WAL flush, so notifying transactions commit one at a time: 16 agents claiming spent their
 * time waiting on that lock (pg_stat_activity: 13 of 16 backends on `Lock: object`, the holder on
 * `IO: WalSync`), where the same claims without it commit together (group commit).
 *
 * callqueue_send is how an event's notification leaves: notified now, as before — or, when the
 * statement opened an outbox (callqueue_outbox_open), held there, and returned by
 * callqueue_outbox_take at the statement's end for the caller to send once the write has
 * committed (events/held-events.sql.ts), in a transaction of its own that waits for no flush. The
 * event's log row is written by the write either way: a notification lost between the commit and
 * its sending (the sender died) is found in the log by every instance's listener at its next safe
 * point (catch-up.ts).
 */
const SEND = `
  CREATE FUNCTION callqueue_send(p_payload text) RETURNS void LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    box text := current_setting('callqueue.outbox', true);
  BEGIN
    IF box LIKE '[%' THEN
      PERFORM set_config('callqueue.outbox', (box::jsonb || to_jsonb(p_payload))::text, true);
    ELSE
      PERFORM pg_notify('callqueue_events', p_payload);
    END IF;
  END $$`;

/* Opens the statement's outbox (transaction-scoped: an error discards it with the write). */
const OUTBOX_OPEN = `
  CREATE FUNCTION callqueue_outbox_open() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT set_config('callqueue.outbox', '[]', true)
  $$`;

/* The notifications held since callqueue_outbox_open, in the order they were published; closes the outbox. */
const OUTBOX_TAKE = `
  CREATE FUNCTION callqueue_outbox_take() RETURNS text[] LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    box text := current_setting('callqueue.outbox', true);
  BEGIN
    PERFORM set_config('callqueue.outbox', '', true);
    IF box LIKE '[%' THEN
      RETURN ARRAY(SELECT jsonb_array_elements_text(box::jsonb));
    END IF;
    RETURN '{}';
  END $$`;

const viaSend = (body: string) => body
  .replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION')
  .replace("SELECT pg_notify('callqueue_events', ", 'SELECT callqueue_send(');

export class Migration20261202000025_events_after_commit extends Migration {
  override async up(): Promise<void> {
    for (const statement of [SEND, OUTBOX_OPEN, OUTBOX_TAKE, viaSend(PUBLISH_ENTRY), viaSend(PUBLISH_CONVERSION)]) this.addSql(statement);
  }

  override async down(): Promise<void> {
    for (const body of [PUBLISH_ENTRY, PUBLISH_CONVERSION]) this.addSql(body.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'));
    this.addSql(`DROP FUNCTION callqueue_outbox_take()`);
    this.addSql(`DROP FUNCTION callqueue_outbox_open()`);
    this.addSql(`DROP FUNCTION callqueue_send(text)`);
  }
}
