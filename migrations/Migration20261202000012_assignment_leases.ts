import { Migration } from '@mikro-orm/migrations';

/**
 * An assignment is a lease: `assignment_leases` holds one per assigned entry (keyed by entry id,
 * which is unique across the separated and legacy stores, so one table serves both), written
 * by the claim, renewed by renewAssignment and active calls, and ended by the lease job when it
 * lapses (`lapsed_at`, kept so the agent who lost it is told why). Assignments that exist when
 * this runs get a lease of 15 minutes from now.
 */
export class Migration20261202000012_assignment_leases extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE assignment_leases (
        entry_id     bigint PRIMARY KEY,
        agent_id     integer NOT NULL REFERENCES agents (id),
        assigned_at  timestamptz NOT NULL,
        expires_at   timestamptz NOT NULL,
        lapsed_at    timestamptz
      )`);
    this.addSql(`CREATE INDEX assignment_leases_due_idx ON assignment_leases (expires_at) WHERE lapsed_at IS NULL`);
    this.addSql(`
      INSERT INTO assignment_leases (entry_id, agent_id, assigned_at, expires_at)
      SELECT id, assigned_to_agent_id, assigned_at, now() + interval '15 minutes' FROM unsigned_users_queue WHERE status = 'assigned'
      UNION ALL
      SELECT id, assigned_to_agent_id, assigned_at, now() + interval '15 minutes' FROM outstanding_requests_queue WHERE status = 'assigned'
      UNION ALL
      SELECT q.id, q.assigned_to_agent_id, coalesce(q.assigned_at, q.updated_at), now() + interval '15 minutes' FROM call_queue q
       WHERE q.status = 'assigned' AND q.assigned_to_agent_id IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM unsigned_users_queue u WHERE u.id = q.id)
         AND NOT EXISTS (SELECT 1 FROM outstanding_requests_queue o WHERE o.id = q.id)`);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP TABLE assignment_leases`);
  }
}
