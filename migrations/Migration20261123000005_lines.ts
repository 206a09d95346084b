import { Migration } from '@mikro-orm/migrations';

/**
 * Lines. `call_lines` is one row: the limit and the number of active sessions. A trigger on
 * call_sessions keeps `active` equal to the count of active sessions and refuses a session
 * that would go past the limit — so the limit holds whatever writes call_sessions, and the row
 * lock taken by that UPDATE serialises line reservations across instances. (A CTE over a
 * capacity row would decide the same, but only for writers that use the CTE; the trigger
 * makes it an invariant of the table.)
 */
export class Migration20261123000005_lines extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE call_lines (
        id        boolean PRIMARY KEY DEFAULT true CHECK (id),
        max_lines integer NOT NULL CHECK (max_lines > 0),
        active    integer NOT NULL DEFAULT 0 CHECK (active >= 0)
      )`);
    this.addSql(`INSERT INTO call_lines (max_lines, active)
                   SELECT 10, count(*) FROM call_sessions WHERE status = 'active'`);
    this.addSql(`
      CREATE FUNCTION call_sessions_hold_line() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        was_active boolean := TG_OP <> 'INSERT' AND OLD.status = 'active';
        is_active  boolean := TG_OP <> 'DELETE' AND NEW.status = 'active';
        line record;
      BEGIN
        IF is_active AND NOT was_active THEN
          UPDATE call_lines SET active = active + 1 RETURNING active, max_lines INTO line;
          IF line.active > line.max_lines THEN
            RAISE EXCEPTION 'all % lines are busy', line.max_lines
              USING ERRCODE = 'check_violation', CONSTRAINT = 'call_lines_limit';
          END IF;
        ELSIF was_active AND NOT is_active THEN
          UPDATE call_lines SET active = active - 1;
        END IF;
        RETURN NULL;
      END $$`);
    this.addSql(`CREATE TRIGGER call_sessions_hold_line AFTER INSERT OR DELETE OR UPDATE OF status
                   ON call_sessions FOR EACH ROW EXECUTE FUNCTION call_sessions_hold_line()`);
    this.addSql(`CREATE INDEX call_sessions_active_started_idx ON call_sessions (started_at) WHERE status = 'active'`);
    this.addSql(`CREATE INDEX call_sessions_ended_idx ON call_sessions (ended_at) WHERE status = 'completed'`);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP INDEX call_sessions_ended_idx`);
    this.addSql(`DROP INDEX call_sessions_active_started_idx`);
    this.addSql(`DROP TRIGGER call_sessions_hold_line ON call_sessions`);
    this.addSql(`DROP FUNCTION call_sessions_hold_line()`);
    this.addSql(`DROP TABLE call_lines`);
  }
}
