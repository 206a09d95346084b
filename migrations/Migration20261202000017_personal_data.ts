import { Migration } from '@mikro-orm/migrations';

/**
 * Personal data: keys that may read it unmasked (api_keys.personal_data), the audit of reads
 * (one row per request), and erasure — who erased whom and why, and what an erased claimant can
 * no longer be: enqueued, called, scheduled, or given back a name, whatever writes the row.
 */
export const ERASED = '[erased]';

const REFUSE_ERASED = `
  IF EXISTS (SELECT 1 FROM claimants WHERE user_id = NEW.user_id AND erased_at IS NOT NULL) THEN
    RAISE EXCEPTION 'claimant % was erased: it cannot be queued, called or scheduled again', NEW.user_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'claimant_erased';
  END IF;
  RETURN NEW;`;

export class Migration20261202000017_personal_data extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE api_keys ADD COLUMN personal_data boolean NOT NULL DEFAULT false`);
    this.addSql(`ALTER TABLE api_keys ADD CONSTRAINT api_keys_personal_data_role CHECK (NOT personal_data OR role IN ('INTEGRATOR', 'VIEWER'))`);
    this.addSql(`ALTER TABLE claimants ADD COLUMN erased_at timestamptz`);
    this.addSql(`
      CREATE TABLE claimant_erasures (
        id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id  bigint NOT NULL UNIQUE REFERENCES claimants (user_id),
        actor    text NOT NULL,
        reason   text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
        entries_removed     int NOT NULL,
        callbacks_cancelled int NOT NULL,
        at       timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql(`
      CREATE TABLE personal_data_access (
        id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at         timestamptz NOT NULL DEFAULT now(),
        key_id     bigint,
        actor      text NOT NULL,
        role       text NOT NULL,
        user_ids   bigint[] NOT NULL,
        fields     text[] NOT NULL,
        unmasked   boolean NOT NULL,
        operation  text
      )`);
    this.addSql(`CREATE INDEX personal_data_access_at_idx ON personal_data_access (at)`);
    this.addSql(`CREATE INDEX personal_data_access_users_idx ON personal_data_access USING gin (user_ids)`);

    this.addSql(`CREATE FUNCTION refuse_erased_claimant() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${REFUSE_ERASED} END $$`);
    for (const table of ['unsigned_users_queue', 'outstanding_requests_queue', 'call_queue', 'call_sessions', 'call_requests', 'callbacks']) {
      this.addSql(`CREATE TRIGGER ${table}_not_erased BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_erased_claimant()`);
    }
    // Once erased, names and phone stay erased and the erasure stays.
    this.addSql(`
      CREATE FUNCTION keep_claimant_erased() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.erased_at IS NOT NULL AND (NEW.erased_at IS NULL
            OR (NEW.first_name, NEW.last_name, NEW.phone) IS DISTINCT FROM (OLD.first_name, OLD.last_name, OLD.phone)) THEN
          RAISE EXCEPTION 'claimant % was erased: its personal data cannot be written again', OLD.user_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'claimant_erased';
        END IF;
        RETURN NEW;
      END $$`);
    this.addSql(`CREATE TRIGGER claimants_stay_erased BEFORE UPDATE ON claimants FOR EACH ROW EXECUTE FUNCTION keep_claimant_erased()`);
  }

  override async down(): Promise<void> {
    for (const table of ['unsigned_users_queue', 'outstanding_requests_queue', 'call_queue', 'call_sessions', 'call_requests', 'callbacks']) {
      this.addSql(`DROP TRIGGER ${table}_not_erased ON ${table}`);
    }
    this.addSql(`DROP TRIGGER claimants_stay_erased ON claimants`);
    this.addSql(`DROP FUNCTION keep_claimant_erased()`);
    this.addSql(`DROP FUNCTION refuse_erased_claimant()`);
    this.addSql(`DROP TABLE personal_data_access`);
    this.addSql(`DROP TABLE claimant_erasures`);
    this.addSql(`ALTER TABLE claimants DROP COLUMN erased_at`);
    this.addSql(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_personal_data_role`);
    this.addSql(`ALTER TABLE api_keys DROP COLUMN personal_data`);
  }
}
