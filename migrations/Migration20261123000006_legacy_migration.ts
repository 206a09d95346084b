import { Migration } from '@mikro-orm/migrations';

/*
 * Column lists of this migration. Frozen with it: later code reads the views it creates
 * rather than repeating the lists.
 */
const COMMON = `id, user_id, claim_id, priority_score, status, assigned_to_agent_id, assigned_at,
  available_from, callback_id, callback_scheduled_for, callback_reason, enqueued_at, closed_at,
  closed_reason, created_at, updated_at`;
const UNSIGNED = `signature_missing_since, signature_type, reminders_sent, urgent_signature`;
const OUTSTANDING = `requirement_types, total_requirements, pending_requirements, escalation_level, document_deadline`;
/** What an upsert compares before rewriting a row: unchanged rows are left alone. */
const names = (list: string) => list.split(',').map((c) => c.trim()).filter((c) => c && c !== 'id');
const setAll = (list: string) => names(list).map((c) => `${c} = EXCLUDED.${c}`).join(', ');
const changed = (list: string) =>
  `(${names(list).map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${names(list).map((c) => `EXCLUDED.${c}`).join(', ')})`;

/** Upsert of one separated table from the legacy images (`rows`: which ones), live rows or the others. */
const copyInto = (rows: string, table: string, queueType: string, extras: string, live: boolean) => `
  INSERT INTO ${table} AS t (${COMMON}, ${extras})
  SELECT ${COMMON}, ${extras} FROM legacy_entry_images
   WHERE ${rows} AND queue_type = '${queueType}' AND status ${live ? '' : 'NOT'} IN ('pending', 'assigned')
  ON CONFLICT (id) DO UPDATE SET ${setAll(`${COMMON}, ${extras}`)}
   WHERE ${changed(`${COMMON}, ${extras}`)}`;

const SEPARATED_TABLES = ['unsigned_users_queue', 'outstanding_requests_queue'];
const MIRROR_EVENTS = ['INSERT', 'UPDATE', 'DELETE'];
/** Statement triggers (one per event: a transition table serves one event) that mirror a table's writes. */
const mirrorTriggers = (table: string, fn: string) => MIRROR_EVENTS.map((event) => `
  CREATE TRIGGER ${table}_mirror_${event.toLowerCase()} AFTER ${event} ON ${table}
    REFERENCING ${event === 'DELETE' ? 'OLD TABLE AS old_rows' : 'NEW TABLE AS new_rows'}
    FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);

/** The check that a call session's entry exists; with `legacy`, call_queue counts too. */
const sessionEntryCheck = (legacy: boolean) => `
  CREATE OR REPLACE FUNCTION call_session_entry_exists() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE found boolean;
  BEGIN
    IF NEW.queue_entry_id IS NULL THEN RETURN NEW; END IF;
    IF NEW.queue_type = 'unsigned_users' THEN
      SELECT true INTO found FROM unsigned_users_queue WHERE id = NEW.queue_entry_id;
    ELSIF NEW.queue_type = 'outstanding_requests' THEN
      SELECT true INTO found FROM outstanding_requests_queue WHERE id = NEW.queue_entry_id;
    END IF;
    ${legacy ? `IF found IS NULL THEN
      SELECT true INTO found FROM call_queue WHERE id = NEW.queue_entry_id AND queue_type = NEW.queue_type;
    END IF;` : ''}
    IF found IS NULL THEN
      RAISE EXCEPTION 'call session references queue entry % of %, which does not exist',
        NEW.queue_entry_id, coalesce(NEW.queue_type, 'no queue type')
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'call_session_queue_entry_fk';
    END IF;
    RETURN NEW;
  END $$`;

/**
 * The legacy data migration, in the database:
 *
 * - `call_queue` gains every column the separated entries carry (nullable or with a constant
 *   default, so no rewrite), `enqueued_at` back-filled from `created_at` and a missing
 *   `claim_id` from the claimant. A rollback then loses no column, and the service reads and
 *   writes the legacy table with the same statements it uses for the separated ones, through
 *   two auto-updatable views (`legacy_unsigned_users_queue`, `legacy_outstanding_requests_queue`).
 * - One id space: `call_queue.id` is drawn from `queue_entry_id_seq`, so a legacy entry keeps
 *   its id in the separated tables. Copies are upserts by id — idempotent, resumable, and
 *   validation and rollback join on id.
 * - `legacy_entry_images` / `separated_entry_images`: both sides in one column set (what the
 *   copy writes and what validation checksums). The legacy image normalises what the separated
 *   constraints refuse (assigned without an agent → pending; a pending row's stale agent
 *   dropped; a callback id with no callback row dropped) and leaves out rows whose claimant
 *   does not exist (reported by preview and validation).
 * - Dual writing is done here, by statement triggers with transition tables: in DUAL_WRITE and
 *   BACKFILLED every write to `call_queue` — the service's or a legacy application's raw SQL —
 *   is copied to the separated tables in the same transaction; in READ_NEW every write to the
 *   separated tables is copied back. The phase is read in the writing transaction (FOR SHARE on
 *   the legacy side), so a phase change waits for writers in flight and no write is mirrored
 *   by one phase and committed under another.
 * - In LEGACY_DEPRECATED `call_queue` refuses every write.
 * - A legacy `callback` row written by an old application becomes an `outstanding_requests`
 *   row that keeps its callback data (the rule of migration 0002).
 * - `migration_phase_changes`: the audit of phase changes.
 */
export class Migration20261123000006_legacy_migration extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      ALTER TABLE call_queue
        ADD COLUMN enqueued_at             timestamptz,
        ADD COLUMN closed_at               timestamptz,
        ADD COLUMN closed_reason           text,
        ADD COLUMN signature_missing_since timestamptz,
        ADD COLUMN signature_type          text,
        ADD COLUMN reminders_sent          integer NOT NULL DEFAULT 0,
        ADD COLUMN urgent_signature        boolean NOT NULL DEFAULT false,
        ADD COLUMN requirement_types       text[] NOT NULL DEFAULT '{}',
        ADD COLUMN total_requirements      integer NOT NULL DEFAULT 0,
        ADD COLUMN pending_requirements    integer NOT NULL DEFAULT 0,
        ADD COLUMN escalation_level        smallint NOT NULL DEFAULT 0,
        ADD COLUMN document_deadline       timestamptz`);
    this.addSql(`UPDATE call_queue q
                    SET enqueued_at = q.created_at,
                        claim_id = coalesce(q.claim_id, (SELECT c.claim_id FROM claimants c WHERE c.user_id = q.user_id))`);
    this.addSql(`ALTER TABLE call_queue ALTER COLUMN enqueued_at SET DEFAULT now(), ALTER COLUMN enqueued_at SET NOT NULL`);

    this.addSql(`ALTER TABLE call_queue ALTER COLUMN id DROP IDENTITY`);
    this.addSql(`SELECT setval('queue_entry_id_seq', greatest(
                   (SELECT last_value FROM queue_entry_id_seq),
                   (SELECT coalesce(max(id), 1) FROM call_queue),
                   (SELECT coalesce(max(id), 1) FROM unsigned_users_queue),
                   (SELECT coalesce(max(id), 1) FROM outstanding_requests_queue)))`);
    this.addSql(`ALTER TABLE call_queue ALTER COLUMN id SET DEFAULT nextval('queue_entry_id_seq')`);

    this.addSql(`CREATE INDEX call_queue_live_order_idx ON call_queue (queue_type, priority_score DESC, available_from, id)
                   WHERE status IN ('pending', 'assigned')`);
    this.addSql(`CREATE INDEX call_queue_assigned_agent_idx ON call_queue (assigned_to_agent_id) WHERE status = 'assigned'`);
    this.addSql(`CREATE INDEX call_queue_updated_idx ON call_queue (updated_at)`);

    this.addSql(`
      CREATE FUNCTION call_queue_convert_callback() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.queue_type = 'callback' THEN
          NEW.queue_type := 'outstanding_requests';
          NEW.callback_scheduled_for := coalesce(NEW.callback_scheduled_for, NEW.available_from);
          NEW.callback_reason := coalesce(NEW.callback_reason, 'legacy callback');
          NEW.migrated_from_callback := true;
        END IF;
        RETURN NEW;
      END $$`);
    this.addSql(`CREATE TRIGGER call_queue_convert_callback BEFORE INSERT OR UPDATE OF queue_type ON call_queue
                   FOR EACH ROW EXECUTE FUNCTION call_queue_convert_callback()`);
    this.addSql(`UPDATE call_queue SET queue_type = 'callback' WHERE queue_type = 'callback'`);

    for (const [queueType, extras] of [['unsigned_users', UNSIGNED], ['outstanding_requests', OUTSTANDING]] as const) {
      this.addSql(`CREATE VIEW legacy_${queueType}_queue AS
                     SELECT ${COMMON}, ${extras}, queue_type FROM call_queue WHERE queue_type = '${queueType}'`);
      this.addSql(`ALTER VIEW legacy_${queueType}_queue ALTER COLUMN queue_type SET DEFAULT '${queueType}'`);
    }

    this.addSql(`
      CREATE VIEW legacy_entry_images AS
      SELECT q.id, q.queue_type, q.user_id, coalesce(q.claim_id, c.claim_id) AS claim_id, q.priority_score, fix.status,
             CASE WHEN fix.status = 'pending' THEN NULL ELSE q.assigned_to_agent_id END AS assigned_to_agent_id,
             CASE WHEN fix.status = 'pending' THEN NULL
                  WHEN fix.status = 'assigned' THEN coalesce(q.assigned_at, q.updated_at) ELSE q.assigned_at END AS assigned_at,
             q.available_from, cb.id AS callback_id, q.callback_scheduled_for, q.callback_reason, q.enqueued_at,
             q.closed_at, q.closed_reason, q.created_at, q.updated_at,
             CASE WHEN u THEN q.signature_missing_since END AS signature_missing_since,
             CASE WHEN u THEN q.signature_type END AS signature_type,
             CASE WHEN u THEN q.reminders_sent ELSE 0 END AS reminders_sent,
             CASE WHEN u THEN q.urgent_signature ELSE false END AS urgent_signature,
             CASE WHEN u THEN '{}'::text[] ELSE q.requirement_types END AS requirement_types,
             CASE WHEN u THEN 0 ELSE q.total_requirements END AS total_requirements,
             CASE WHEN u THEN 0 ELSE q.pending_requirements END AS pending_requirements,
             CASE WHEN u THEN 0::smallint ELSE q.escalation_level END AS escalation_level,
             CASE WHEN u THEN NULL ELSE q.document_deadline END AS document_deadline
        FROM call_queue q
        JOIN claimants c ON c.user_id = q.user_id
        LEFT JOIN callbacks cb ON cb.id = q.callback_id
        CROSS JOIN LATERAL (SELECT CASE WHEN q.status = 'assigned' AND q.assigned_to_agent_id IS NULL THEN 'pending'
                                        ELSE q.status END AS status,
                                   q.queue_type = 'unsigned_users' AS u) fix`);
    this.addSql(`
      CREATE VIEW separated_entry_images AS
      SELECT id, 'unsigned_users'::text AS queue_type, user_id, claim_id, priority_score, status, assigned_to_agent_id,
             assigned_at, available_from, callback_id, callback_scheduled_for, callback_reason, enqueued_at, closed_at,
             closed_reason, created_at, updated_at, ${UNSIGNED},
             '{}'::text[] AS requirement_types, 0 AS total_requirements, 0 AS pending_requirements,
             0::smallint AS escalation_level, NULL::timestamptz AS document_deadline
        FROM unsigned_users_queue
      UNION ALL
      SELECT id, 'outstanding_requests'::text, user_id, claim_id, priority_score, status, assigned_to_agent_id,
             assigned_at, available_from, callback_id, callback_scheduled_for, callback_reason, enqueued_at, closed_at,
             closed_reason, created_at, updated_at,
             NULL::timestamptz, NULL::text, 0, false, ${OUTSTANDING}
        FROM outstanding_requests_queue`);

    // Rows leaving the live statuses are copied before live ones, so the claimant's live slot
    // is free by the time its new live entry arrives.
    const rows = 'id = ANY(ids)';
    this.addSql(`
      CREATE FUNCTION copy_legacy_entries(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        ${copyInto(rows, 'unsigned_users_queue', 'unsigned_users', UNSIGNED, false)};
        ${copyInto(rows, 'outstanding_requests_queue', 'outstanding_requests', OUTSTANDING, false)};
        ${copyInto(rows, 'unsigned_users_queue', 'unsigned_users', UNSIGNED, true)};
        ${copyInto(rows, 'outstanding_requests_queue', 'outstanding_requests', OUTSTANDING, true)};
      END $$`);
    this.addSql(`
      CREATE FUNCTION copy_separated_entries(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO call_queue AS t (${COMMON}, queue_type, ${UNSIGNED}, ${OUTSTANDING})
        SELECT ${COMMON}, queue_type, ${UNSIGNED}, ${OUTSTANDING} FROM separated_entry_images WHERE id = ANY(ids)
        ON CONFLICT (id) DO UPDATE SET ${setAll(`${COMMON}, queue_type, ${UNSIGNED}, ${OUTSTANDING}`)}
         WHERE ${changed(`${COMMON}, queue_type, ${UNSIGNED}, ${OUTSTANDING}`)};
      END $$`);

    this.addSql(`
      CREATE FUNCTION migration_phase_for_write() RETURNS text LANGUAGE sql VOLATILE AS $$
        SELECT phase FROM migration_state FOR SHARE
      $$`);
    this.addSql(`
      CREATE FUNCTION call_queue_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF migration_phase_for_write() = 'LEGACY_DEPRECATED' THEN
          RAISE EXCEPTION 'call_queue is read-only: the legacy migration is in LEGACY_DEPRECATED'
            USING ERRCODE = 'read_only_sql_transaction', HINT = 'rollbackQueueMigration makes it writable again';
        END IF;
        RETURN NULL;
      END $$`);
    this.addSql(`CREATE TRIGGER call_queue_read_only BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON call_queue
                   FOR EACH STATEMENT EXECUTE FUNCTION call_queue_guard()`);

    this.addSql(`
      CREATE FUNCTION call_queue_mirror() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF migration_phase_for_write() IN ('DUAL_WRITE', 'BACKFILLED') THEN
          IF TG_OP = 'DELETE' THEN
            DELETE FROM unsigned_users_queue WHERE id IN (SELECT id FROM old_rows);
            DELETE FROM outstanding_requests_queue WHERE id IN (SELECT id FROM old_rows);
          ELSE
            PERFORM copy_legacy_entries(ARRAY(SELECT id FROM new_rows));
          END IF;
        END IF;
        RETURN NULL;
      END $$`);
    mirrorTriggers('call_queue', 'call_queue_mirror').forEach((statement) => this.addSql(statement));

    // The separated side: only the service writes these tables, and it takes the phase FOR
    // SHARE when its transaction begins, so a plain read of the phase is enough here.
    this.addSql(`
      CREATE FUNCTION separated_queue_mirror() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (SELECT phase FROM migration_state) = 'READ_NEW' THEN
          IF TG_OP = 'DELETE' THEN
            DELETE FROM call_queue WHERE id IN (SELECT id FROM old_rows);
          ELSE
            PERFORM copy_separated_entries(ARRAY(SELECT id FROM new_rows));
          END IF;
        END IF;
        RETURN NULL;
      END $$`);
    for (const table of SEPARATED_TABLES) {
      mirrorTriggers(table, 'separated_queue_mirror').forEach((statement) => this.addSql(statement));
    }

    // A call session may point at a legacy entry (same id space) while legacy is read.
    this.addSql(sessionEntryCheck(true));

    this.addSql(`
      CREATE TABLE migration_phase_changes (
        id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        from_phase text NOT NULL,
        to_phase   text NOT NULL,
        actor      text NOT NULL,
        reason     text,
        changed_at timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql(`INSERT INTO migration_phase_changes (from_phase, to_phase, actor, reason, changed_at)
                   SELECT phase, phase, changed_by, reason, changed_at FROM migration_state`);
    this.addSql(`CREATE INDEX migration_runs_kind_idx ON migration_runs (kind, id DESC)`);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP INDEX migration_runs_kind_idx`);
    this.addSql(`DROP TABLE migration_phase_changes`);
    for (const table of [...SEPARATED_TABLES, 'call_queue']) {
      for (const event of MIRROR_EVENTS) this.addSql(`DROP TRIGGER ${table}_mirror_${event.toLowerCase()} ON ${table}`);
    }
    this.addSql(`DROP TRIGGER call_queue_read_only ON call_queue`);
    this.addSql(`DROP TRIGGER call_queue_convert_callback ON call_queue`);
    this.addSql(`DROP FUNCTION separated_queue_mirror(), call_queue_mirror(), call_queue_guard(), migration_phase_for_write(),
                   copy_separated_entries(bigint[]), copy_legacy_entries(bigint[]), call_queue_convert_callback()`);
    this.addSql(`DROP VIEW separated_entry_images, legacy_entry_images, legacy_unsigned_users_queue, legacy_outstanding_requests_queue`);
    this.addSql(sessionEntryCheck(false));  // 0003's version
    this.addSql(`DROP INDEX call_queue_updated_idx, call_queue_assigned_agent_idx, call_queue_live_order_idx`);
    this.addSql(`ALTER TABLE call_queue ALTER COLUMN id DROP DEFAULT`);
    this.addSql(`ALTER TABLE call_queue ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY`);
    this.addSql(`SELECT setval(pg_get_serial_sequence('call_queue', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM call_queue), false)`);
    this.addSql(`
      ALTER TABLE call_queue
        DROP COLUMN enqueued_at, DROP COLUMN closed_at, DROP COLUMN closed_reason,
        DROP COLUMN signature_missing_since, DROP COLUMN signature_type, DROP COLUMN reminders_sent,
        DROP COLUMN urgent_signature, DROP COLUMN requirement_types, DROP COLUMN total_requirements,
        DROP COLUMN pending_requirements, DROP COLUMN escalation_level, DROP COLUMN document_deadline`);
  }
}
