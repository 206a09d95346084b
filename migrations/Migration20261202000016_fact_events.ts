import { Migration } from '@mikro-orm/migrations';

/**
 * Events for claimant facts, calls and callbacks, written by the database itself: statement
 * triggers with transition tables append one event_log row per changed row, in the statement
 * that made the change (no extra round trip on the hot paths, and raw SQL is logged too), and
 * send one notification per statement to wake the instances (`logged`). Rows carry ids and
 * states, never contact data: `detail` names the facts that changed, a call's outcome, or how a
 * callback closed.
 */
const WAKE = `PERFORM pg_notify('callqueue_events', json_build_object('topic', 'logged', 'at', now())::text)`;

/**
 * The rows of a statement to log: every inserted row, or the updated rows whose status changed.
 * Two branches because a statement trigger on INSERT has no old_rows to name.
 */
const statusChanges = (insert: string) => `
        IF TG_OP = 'INSERT' THEN
          ${insert} FROM new_rows n ORDER BY n.id;
        ELSE
          ${insert} FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.status IS DISTINCT FROM o.status ORDER BY n.id;
        END IF;`;

/** A statement trigger function: `body` appends the rows to log; one wake-up when it logged any. */
const loggingFunction = (name: string, body: string) => `
      CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE logged int;
      BEGIN
        ${body}
        GET DIAGNOSTICS logged = ROW_COUNT;
        IF logged > 0 THEN ${WAKE}; END IF;
        RETURN NULL;
      END $$`;

/** The INSERT and UPDATE statement triggers of a table, both running `fn`. */
const onInsertAndUpdate = (table: string, fn: string) => [
  `CREATE TRIGGER ${table}_logged_insert AFTER INSERT ON ${table} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
  `CREATE TRIGGER ${table}_logged_update AFTER UPDATE ON ${table}
     REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
];

export class Migration20261202000016_fact_events extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE event_log ADD COLUMN detail text`);
    this.addSql(`ALTER TABLE webhook_deliveries ADD COLUMN detail text`);

    this.addSql(loggingFunction('log_claimant_changes', `INSERT INTO event_log (type, user_id, detail)
        SELECT 'CLAIMANT_CHANGED', n.user_id, array_to_string(ARRAY[
                 CASE WHEN o.first_name IS DISTINCT FROM n.first_name THEN 'firstName' END,
                 CASE WHEN o.last_name IS DISTINCT FROM n.last_name THEN 'lastName' END,
                 CASE WHEN o.phone IS DISTINCT FROM n.phone THEN 'phone' END,
                 CASE WHEN o.timezone IS DISTINCT FROM n.timezone THEN 'timezone' END,
                 CASE WHEN o.signature_status IS DISTINCT FROM n.signature_status THEN 'signatureStatus' END,
                 CASE WHEN o.signature_type IS DISTINCT FROM n.signature_type THEN 'signatureType' END,
                 CASE WHEN o.do_not_call IS DISTINCT FROM n.do_not_call THEN 'doNotCall' END], ',')
          FROM new_rows n JOIN old_rows o ON o.user_id = n.user_id
         WHERE (o.first_name, o.last_name, o.phone, o.timezone, o.signature_status, o.signature_type, o.do_not_call)
               IS DISTINCT FROM (n.first_name, n.last_name, n.phone, n.timezone, n.signature_status, n.signature_type, n.do_not_call)
         ORDER BY n.user_id;`));
    this.addSql(`CREATE TRIGGER claimants_logged AFTER UPDATE ON claimants
                   REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION log_claimant_changes()`);

    // A requirement added, received or waived changes what the claimant still owes.
    this.addSql(loggingFunction('log_requirement_changes', statusChanges(`INSERT INTO event_log (type, user_id, subject_id, detail)
          SELECT 'CLAIMANT_CHANGED', n.user_id, n.id, 'requirement ' || n.status`)));
    for (const trigger of onInsertAndUpdate('claim_requirements', 'log_requirement_changes')) this.addSql(trigger);

    // Calls: started (an active session), ended (its outcome, or how it failed).
    this.addSql(loggingFunction('log_call_changes', statusChanges(`INSERT INTO event_log (type, user_id, subject_id, agent_id, queue_type, detail)
          SELECT CASE WHEN n.status = 'active' THEN 'CALL_STARTED' ELSE 'CALL_ENDED' END, n.user_id, n.id, n.agent_id,
                 n.queue_type, CASE WHEN n.status = 'active' THEN n.call_type ELSE coalesce(n.outcome, n.status) END`)));
    for (const trigger of onInsertAndUpdate('call_sessions', 'log_call_changes')) this.addSql(trigger);

    // Callbacks: scheduled, and closed (completed, cancelled or missed).
    this.addSql(loggingFunction('log_callback_changes', statusChanges(`INSERT INTO event_log (type, user_id, subject_id, agent_id, queue_type, detail)
          SELECT CASE WHEN n.status = 'pending' THEN 'CALLBACK_SCHEDULED' ELSE 'CALLBACK_CLOSED' END, n.user_id, n.id, n.agent_id,
                 n.queue_type, n.status`)));
    for (const trigger of onInsertAndUpdate('callbacks', 'log_callback_changes')) this.addSql(trigger);
  }

  override async down(): Promise<void> {
    for (const [table, triggers] of [['claimants', ['claimants_logged']], ['claim_requirements', ['claim_requirements_logged_insert', 'claim_requirements_logged_update']],
      ['call_sessions', ['call_sessions_logged_insert', 'call_sessions_logged_update']], ['callbacks', ['callbacks_logged_insert', 'callbacks_logged_update']]] as const) {
      for (const trigger of triggers) this.addSql(`DROP TRIGGER ${trigger} ON ${table}`);
    }
    for (const fn of ['log_claimant_changes', 'log_requirement_changes', 'log_call_changes', 'log_callback_changes']) this.addSql(`DROP FUNCTION ${fn}()`);
    this.addSql(`ALTER TABLE event_log DROP COLUMN detail`);
    this.addSql(`ALTER TABLE webhook_deliveries DROP COLUMN detail`);
  }
}
