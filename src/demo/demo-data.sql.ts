import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, queryRows, sql } from '../db/sql.js';

/**
 * A realistic demo data set for `npm start -- --demo`: 8 agents, 2,000 claimants (1,200 who
 * still have to sign, 800 who signed and still owe documents), scores, requirements with
 * deadlines, live entries in both queues, a few assigned entries, callbacks, past call
 * sessions and conversions. Built set-based inside Postgres; loaded once (skipped when the
 * demo agents exist). Deterministic: the same rows every time.
 */
const CLAIMANTS = 2000;
const UNSIGNED = 1200;

export async function loadDemoData(em: EntityManager): Promise<{ loaded: boolean; claimants: number }> {
  return em.transactional(async (tx) => {
    const present = await queryOne<{ n: number }>(tx, sql`/* demoPresent */ SELECT count(*)::int AS n FROM agents WHERE email LIKE '%@demo.callqueue'`);
    if (present && present.n > 0) return { loaded: false, claimants: CLAIMANTS };
    const statements = [
      sql`INSERT INTO agents (name, email, status)
          SELECT name, lower(split_part(name, ' ', 1)) || '@demo.callqueue', status
            FROM (VALUES ('Ada Moreno', 'available'), ('Ben Okafor', 'on_call'), ('Chloe Nguyen', 'available'),
                         ('Dario Rossi', 'wrap_up'), ('Esther Cohen', 'available'), ('Farid Haddad', 'offline'),
                         ('Grace Lindqvist', 'available'), ('Hugo Martin', 'on_call')) AS a(name, status)`,
      sql`INSERT INTO claimants (user_id, claim_id, first_name, last_name, phone, timezone, signature_status,
                                 signature_missing_since, signature_type, do_not_call)
          SELECT 100000 + g, 'CLM-' || (500000 + g),
                 (ARRAY['Alex','Sam','Jordan','Taylor','Morgan','Casey','Riley','Jamie','Avery','Quinn'])[1 + g % 10],
                 (ARRAY['Smith','Garcia','Brown','Khan','Müller','Silva','Kowalski','Dubois','Ito','Olsen'])[1 + (g / 10) % 10],
                 '+1555' || lpad(g::text, 7, '0'),
                 (ARRAY['America/New_York','America/Chicago','America/Denver','America/Los_Angeles','Europe/London'])[1 + g % 5],
                 CASE WHEN g <= ${UNSIGNED} THEN 'missing' ELSE 'obtained' END,
                 CASE WHEN g <= ${UNSIGNED} THEN now() - make_interval(hours => (g % 720)::int) END,
                 CASE WHEN g <= ${UNSIGNED} THEN (ARRAY['initial','update','renewal'])[1 + g % 3] END,
                 g % 97 = 0
            FROM generate_series(1, ${CLAIMANTS}) g`,
      sql`INSERT INTO claim_requirements (user_id, claim_id, requirement_type, status, deadline, received_at)
          SELECT c.user_id, c.claim_id, r.type,
                 CASE WHEN c.user_id > 100000 + ${UNSIGNED} AND r.n = 1 AND c.user_id % 3 = 0 THEN 'received' ELSE 'pending' END,
                 now() + make_interval(days => (2 + c.user_id % 40)::int),
                 CASE WHEN c.user_id > 100000 + ${UNSIGNED} AND r.n = 1 AND c.user_id % 3 = 0 THEN now() - interval '2 days' END
            FROM claimants c
            CROSS JOIN LATERAL (SELECT n, (ARRAY['medical_records','police_report','proof_of_income','photo_id'])[n] AS type
                                  FROM generate_series(1, 1 + c.user_id % 3) n) r
           WHERE c.user_id > 100000 + ${UNSIGNED} OR c.user_id % 4 = 0`,
      sql`INSERT INTO user_call_scores (user_id, current_score, is_active, current_queue_type, total_attempts,
                                        attempts_today, last_call_at, last_outcome, last_queue_check)
          SELECT user_id, (user_id * 7919) % 9000 + 500, true,
                 CASE WHEN signature_status = 'missing' THEN 'unsigned_users' ELSE 'outstanding_requests' END,
                 user_id % 5, 0,
                 CASE WHEN user_id % 5 > 0 THEN now() - make_interval(hours => (24 + user_id % 100)::int) END,
                 CASE WHEN user_id % 5 > 0 THEN (ARRAY['no_answer','busy','voicemail','answered'])[1 + user_id % 4] END,
                 now()
            FROM claimants`,
      sql`INSERT INTO unsigned_users_queue (user_id, claim_id, priority_score, available_from, enqueued_at,
                                            signature_missing_since, signature_type, reminders_sent, urgent_signature)
          SELECT c.user_id, c.claim_id, s.current_score, now() - make_interval(mins => (c.user_id % 600)::int),
                 c.signature_missing_since, c.signature_missing_since, c.signature_type, c.user_id % 4, c.user_id % 11 = 0
            FROM claimants c JOIN user_call_scores s USING (user_id)
           WHERE c.signature_status = 'missing' AND NOT c.do_not_call
           ORDER BY s.current_score DESC LIMIT 600`,
      sql`INSERT INTO outstanding_requests_queue (user_id, claim_id, priority_score, available_from, enqueued_at,
                                                  requirement_types, total_requirements, pending_requirements,
                                                  escalation_level, document_deadline)
          SELECT c.user_id, c.claim_id, s.current_score, now() - make_interval(mins => (c.user_id % 900)::int),
                 now() - make_interval(days => (c.user_id % 30)::int),
                 array_agg(r.requirement_type ORDER BY r.id) FILTER (WHERE r.status = 'pending'),
                 count(r.id)::int, (count(r.id) FILTER (WHERE r.status = 'pending'))::int,
                 (c.user_id % 3)::smallint, min(r.deadline) FILTER (WHERE r.status = 'pending')
            FROM claimants c JOIN user_call_scores s USING (user_id) JOIN claim_requirements r USING (user_id)
           WHERE c.signature_status = 'obtained' AND NOT c.do_not_call
           GROUP BY c.user_id, c.claim_id, s.current_score
          HAVING count(r.id) FILTER (WHERE r.status = 'pending') > 0
           ORDER BY s.current_score DESC LIMIT 500`,
      // Two agents are on a call with the best entry of each queue.
      sql`UPDATE unsigned_users_queue SET status = 'assigned', assigned_to_agent_id = (SELECT id FROM agents WHERE email = 'ben@demo.callqueue'), assigned_at = now() - interval '3 minutes'
           WHERE id = (SELECT id FROM unsigned_users_queue ORDER BY priority_score DESC, id LIMIT 1)`,
      sql`UPDATE outstanding_requests_queue SET status = 'assigned', assigned_to_agent_id = (SELECT id FROM agents WHERE email = 'hugo@demo.callqueue'), assigned_at = now() - interval '1 minute'
           WHERE id = (SELECT id FROM outstanding_requests_queue ORDER BY priority_score DESC, id LIMIT 1)`,
      sql`INSERT INTO callbacks (user_id, agent_id, scheduled_for, reason, queue_type)
          SELECT e.user_id, CASE WHEN e.user_id % 2 = 0 THEN (SELECT min(id) FROM agents) END,
                 date_trunc('minute', now()) + make_interval(mins => (30 * e.n)::int),
                 'claimant asked to be called back', 'unsigned_users'
            FROM (SELECT user_id, row_number() OVER (ORDER BY priority_score, id) AS n
                    FROM unsigned_users_queue WHERE status = 'pending' ORDER BY priority_score, id LIMIT 12) e`,
      sql`UPDATE unsigned_users_queue e
             SET callback_id = c.id, callback_scheduled_for = c.scheduled_for, callback_reason = c.reason,
                 available_from = c.scheduled_for, priority_score = 9999
            FROM callbacks c WHERE c.user_id = e.user_id AND e.status = 'pending'`,
      // Every figure the score policy derives is the policy's (migration 0007's SQL rule, the
      // same as score-policy.ts), as of one instant: priorities, urgency, escalation, scores.
      sql`/* demoUnsignedPriorities */ UPDATE unsigned_users_queue e
             SET priority_score = callqueue_policy_score('unsigned_users', least(e.enqueued_at, c.signature_missing_since),
                                    s.total_attempts, c.signature_missing_since, NULL, t.at),
                 urgent_signature = callqueue_urgent_signature(c.signature_missing_since, t.at)
            FROM claimants c, user_call_scores s, (SELECT date_trunc('milliseconds', now()) AS at) t
           WHERE c.user_id = e.user_id AND s.user_id = e.user_id AND e.callback_id IS NULL`,
      sql`/* demoOutstandingPriorities */ UPDATE outstanding_requests_queue e
             SET priority_score = callqueue_policy_score('outstanding_requests', least(e.enqueued_at, c.signature_missing_since),
                                    s.total_attempts, c.signature_missing_since, e.document_deadline, t.at),
                 escalation_level = callqueue_escalation(e.document_deadline, t.at)
            FROM claimants c, user_call_scores s, (SELECT date_trunc('milliseconds', now()) AS at) t
           WHERE c.user_id = e.user_id AND s.user_id = e.user_id AND e.callback_id IS NULL`,
      sql`/* demoScores */ UPDATE user_call_scores s
             SET current_score = coalesce(
                   (SELECT e.priority_score FROM unsigned_users_queue e
                     WHERE e.user_id = s.user_id AND e.status IN ('pending', 'assigned') AND e.callback_id IS NULL),
                   (SELECT e.priority_score FROM outstanding_requests_queue e
                     WHERE e.user_id = s.user_id AND e.status IN ('pending', 'assigned') AND e.callback_id IS NULL),
                   callqueue_policy_score(s.current_queue_type, coalesce(c.signature_missing_since, c.created_at), s.total_attempts,
                     c.signature_missing_since,
                     (SELECT min(r.deadline) FROM claim_requirements r WHERE r.user_id = s.user_id AND r.status = 'pending'), t.at)),
                 last_queue_check = t.at
            FROM claimants c, (SELECT date_trunc('milliseconds', now()) AS at) t
           WHERE c.user_id = s.user_id`,
      sql`INSERT INTO call_sessions (user_id, agent_id, call_type, queue_type, status, outcome, started_at, ended_at)
          SELECT c.user_id, a.id, 'direct', 'unsigned_users', 'completed',
                 (ARRAY['no_answer','answered','voicemail','busy'])[1 + c.user_id % 4],
                 date_trunc('day', now(), 'UTC') + make_interval(mins => (c.user_id % 500)::int),
                 date_trunc('day', now(), 'UTC') + make_interval(mins => (c.user_id % 500)::int, secs => 40 + c.user_id % 300)
            FROM claimants c JOIN agents a ON a.id = 1 + c.user_id % 8
           WHERE c.user_id % 10 = 1 AND c.user_id <= 100000 + ${UNSIGNED}`,
    ];
    for (const statement of statements) await queryRows(tx, statement);
    return { loaded: true, claimants: CLAIMANTS };
  });
}
