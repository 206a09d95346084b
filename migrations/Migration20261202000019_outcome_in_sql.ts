import { Migration } from '@mikro-orm/migrations';

/**
 * A call's outcome on an assigned entry in one round trip: `callqueue_record_outcome` does what
 * outcome.service.ts's applyOutcome does with an entry, for every outcome but `converted` (a
 * conversion stays in TypeScript, with its own rules and rows): lock the entry (with
 * lockAssignedEntry's refusals) and the claimant, count the attempt, end the call's session (or
 * record one), complete a due callback, then flag do-not-call and complete the entry, or release
 * it re-scored (after the cooldown, or tomorrow's opening once the daily cap is reached), or
 * complete it; the transition row and the event. The score is migration 0007's
 * callqueue_policy_score, which tests/queue/policy-agreement.test.ts holds to score-policy.ts.
 */
export const RECORD_OUTCOME = `
  CREATE FUNCTION callqueue_record_outcome(
    p_entry bigint, p_agent bigint, p_outcome text, p_do_not_call boolean, p_actor text,
    p_cooldown_minutes integer, p_daily_cap integer, p_window_start integer) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    e jsonb := callqueue_lock_assigned_entry(p_entry, p_agent);
    q text := e->>'queue_type';
    tbl text := callqueue_queue_table(q);
    u bigint := (e->>'user_id')::bigint;
    cb_id bigint := (e->>'callback_id')::bigint;
    c record;
    attempt record;
    callback_ahead timestamptz;
    ended bigint;
    score integer;
    available timestamptz;
    result jsonb;
  BEGIN
    IF p_outcome NOT IN ('answered', 'no_answer', 'busy', 'voicemail', 'wrong_number', 'callback_requested', 'refused', 'failed') THEN
      RAISE EXCEPTION 'outcome % is not recorded here', p_outcome USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The claimant's row lock serialises its fact changes (facts.sql.ts's lockedFacts).
    SELECT cl.timezone, cl.signature_missing_since, cl.created_at,
           (SELECT min(r.deadline) FROM claim_requirements r WHERE r.user_id = cl.user_id AND r.status = 'pending') AS next_deadline
      INTO c FROM claimants cl WHERE cl.user_id = u FOR UPDATE OF cl;

    -- score.sql.ts's recordAttempt: the daily count restarts on the claimant's own new day.
    INSERT INTO user_call_scores AS s (user_id, total_attempts, attempts_today, last_reset_date, last_call_at, last_outcome, next_call_after)
    VALUES (u, 1, 1, callqueue_local_day(c.timezone, now()), now(), p_outcome, now() + make_interval(mins => p_cooldown_minutes))
    ON CONFLICT (user_id) DO UPDATE SET
      total_attempts = s.total_attempts + 1,
      attempts_today = CASE WHEN s.last_reset_date = EXCLUDED.last_reset_date THEN s.attempts_today + 1 ELSE 1 END,
      last_reset_date = EXCLUDED.last_reset_date,
      last_call_at = EXCLUDED.last_call_at, last_outcome = EXCLUDED.last_outcome, next_call_after = EXCLUDED.next_call_after, updated_at = now()
    RETURNING s.total_attempts, s.attempts_today, s.next_call_after INTO attempt;

    -- The call's session ends with the outcome; an outcome recorded without one still leaves one.
    UPDATE call_sessions SET status = 'completed', outcome = p_outcome, ended_at = now()
     WHERE user_id = u AND status = 'active' RETURNING id INTO ended;
    IF ended IS NULL THEN
      INSERT INTO call_sessions (user_id, agent_id, call_type, queue_type, queue_entry_id, status, outcome, started_at, ended_at)
      VALUES (u, (e->>'assigned_to_agent_id')::bigint, 'direct', q, p_entry, 'completed', p_outcome,
              coalesce((e->>'assigned_at')::timestamptz, now()), now());
    END IF;

    -- A due callback is what this call made: completed, and the entry loses its callback
    -- priority. A callback still ahead (scheduled during this call) keeps the claimant queued.
    IF cb_id IS NOT NULL THEN
      SELECT cb.scheduled_for INTO callback_ahead FROM callbacks cb
       WHERE cb.id = cb_id AND cb.status = 'pending' AND cb.scheduled_for > now() FOR UPDATE;
      IF callback_ahead IS NULL THEN
        UPDATE callbacks SET status = 'completed', closed_at = now(), updated_at = now() WHERE id = cb_id AND status = 'pending';
        EXECUTE format($q$UPDATE %I e SET callback_id = NULL, callback_scheduled_for = NULL, callback_reason = NULL,
                           available_from = least(e.available_from, now()), updated_at = now() WHERE e.id = $1$q$, tbl) USING p_entry;
        cb_id := NULL;
      END IF;
    END IF;

    IF p_do_not_call OR p_outcome = 'refused' THEN
      UPDATE claimants SET do_not_call = true, updated_at = now() WHERE user_id = u;
      UPDATE user_call_scores SET is_active = false, updated_at = now() WHERE user_id = u;
      RETURN callqueue_close_entry(tbl, q, u, p_entry, cb_id,
        CASE WHEN p_outcome = 'refused' THEN 'refused' ELSE 'do not call requested' END, 'do not call', p_actor);
    END IF;

    -- The entry's score follows the new attempt count (entry-details.ts, in SQL).
    score := callqueue_policy_score(q, least((e->>'enqueued_at')::timestamptz, coalesce(c.signature_missing_since, 'infinity')),
      attempt.total_attempts, c.signature_missing_since, c.next_deadline, now());
    UPDATE user_call_scores SET current_score = score, current_queue_type = q, last_queue_check = now(),
      priority_override = NULL, updated_at = now() WHERE user_id = u;

    IF callback_ahead IS NOT NULL OR p_outcome IN ('no_answer', 'busy', 'voicemail', 'failed') THEN
      available := CASE
        WHEN callback_ahead IS NOT NULL THEN callback_ahead
        WHEN attempt.attempts_today >= p_daily_cap THEN greatest(attempt.next_call_after, callqueue_tomorrows_opening(c.timezone, now(), p_window_start))
        ELSE attempt.next_call_after END;
      EXECUTE format($q$UPDATE %I e SET status = 'pending', assigned_to_agent_id = NULL, assigned_at = NULL,
                         available_from = greatest(now(), $2), priority_score = $3, updated_at = now()
                       WHERE e.id = $1 RETURNING to_jsonb(e.*)$q$, tbl)
        INTO result USING p_entry, available, CASE WHEN callback_ahead IS NOT NULL THEN (e->>'priority_score')::integer ELSE score END;
      PERFORM callqueue_publish_entry('ENTRY_RELEASED', q, u, p_entry);
      RETURN result || jsonb_build_object('queue_type', q);
    END IF;
    RETURN callqueue_close_entry(tbl, q, u, p_entry, cb_id, p_outcome, 'call ' || p_outcome, p_actor);
  END $$`;

/*
 * queue-writes.service.ts's takeOutOfQueue with status completed: the entry closed with its
 * reason, a callback it carried cancelled, the transition row and ENTRY_REMOVED.
 */
export const CLOSE_ENTRY = `
  CREATE FUNCTION callqueue_close_entry(
    p_table text, p_queue text, p_user bigint, p_entry bigint, p_callback bigint, p_reason text, p_transition text, p_actor text)
  RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    closed jsonb;
  BEGIN
    EXECUTE format($q$UPDATE %I e SET status = 'completed', closed_at = now(), closed_reason = left($2, 500), updated_at = now()
                     WHERE e.id = $1 RETURNING to_jsonb(e.*)$q$, p_table) INTO closed USING p_entry, p_reason;
    IF p_callback IS NOT NULL THEN
      UPDATE callbacks SET status = 'cancelled', closed_at = now(), updated_at = now() WHERE id = p_callback AND status = 'pending';
    END IF;
    INSERT INTO queue_transitions (user_id, from_queue, to_queue, reason, actor) VALUES (p_user, p_queue, NULL, left(p_transition, 500), p_actor);
    PERFORM callqueue_publish_entry('ENTRY_REMOVED', p_queue, p_user, p_entry);
    RETURN closed || jsonb_build_object('queue_type', p_queue);
  END $$`;

export class Migration20261202000019_outcome_in_sql extends Migration {
  override async up(): Promise<void> {
    this.addSql(CLOSE_ENTRY);
    this.addSql(RECORD_OUTCOME);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP FUNCTION callqueue_record_outcome(bigint, bigint, text, boolean, text, integer, integer, integer)`);
    this.addSql(`DROP FUNCTION callqueue_close_entry(text, text, bigint, bigint, bigint, text, text, text)`);
  }
}
