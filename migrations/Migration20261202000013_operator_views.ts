import { Migration } from '@mikro-orm/migrations';

/**
 * Views for operators, as the seed's own plan had them ("health views for queue management",
 * "agent workload views"), for psql and BI tools: the same figures as the API's queueStats and
 * Agent.workload, over the separated queues.
 */
export class Migration20261202000013_operator_views extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE VIEW queue_health AS
      SELECT q.queue_type,
             count(*) FILTER (WHERE q.status = 'pending')::int AS depth,
             count(*) FILTER (WHERE q.status = 'pending' AND q.available_from <= now())::int AS claimable_now,
             count(*) FILTER (WHERE q.status = 'assigned')::int AS assigned,
             min(q.enqueued_at) FILTER (WHERE q.status = 'pending') AS oldest_pending_since,
             (avg(extract(epoch FROM now() - q.enqueued_at)) FILTER (WHERE q.status = 'pending'))::float8 AS average_wait_seconds,
             count(l.entry_id) FILTER (WHERE q.status = 'assigned' AND l.lapsed_at IS NULL AND l.expires_at < now())::int AS lapsed_leases
        FROM (SELECT 'unsigned_users'::text AS queue_type, id, status, available_from, enqueued_at FROM unsigned_users_queue WHERE status IN ('pending', 'assigned')
              UNION ALL
              SELECT 'outstanding_requests', id, status, available_from, enqueued_at FROM outstanding_requests_queue WHERE status IN ('pending', 'assigned')) q
        LEFT JOIN assignment_leases l ON l.entry_id = q.id
       GROUP BY q.queue_type`);
    this.addSql(`
      CREATE VIEW agent_workload AS
      WITH today AS (SELECT date_trunc('day', now(), 'UTC') AS since)
      SELECT a.id AS agent_id, a.name, a.status, a.is_active,
             cur.id AS current_entry_id, cur.user_id AS current_user_id, cur.queue_type AS current_queue_type,
             (SELECT count(*) FROM call_sessions s, today WHERE s.agent_id = a.id AND s.started_at >= today.since)::int AS calls_today,
             (SELECT coalesce(sum(extract(epoch FROM s.ended_at - s.started_at)), 0) FROM call_sessions s, today
               WHERE s.agent_id = a.id AND s.started_at >= today.since AND s.ended_at IS NOT NULL)::int AS talk_time_seconds_today,
             (SELECT count(*) FROM conversions c, today WHERE c.primary_agent_id = a.id AND c.converted_at >= today.since)::int AS conversions_today
        FROM agents a
        LEFT JOIN LATERAL (
          SELECT * FROM (SELECT id, user_id, 'unsigned_users'::text AS queue_type, assigned_at FROM unsigned_users_queue
                          WHERE assigned_to_agent_id = a.id AND status = 'assigned'
                         UNION ALL
                         SELECT id, user_id, 'outstanding_requests', assigned_at FROM outstanding_requests_queue
                          WHERE assigned_to_agent_id = a.id AND status = 'assigned') e
           ORDER BY assigned_at DESC, id DESC LIMIT 1) cur ON true`);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP VIEW agent_workload`);
    this.addSql(`DROP VIEW queue_health`);
  }
}
