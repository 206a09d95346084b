import { Migration } from '@mikro-orm/migrations';
import * as PREVIOUS from './Migration20261202000019_outcome_in_sql.js';

/**
 * The two remaining hot writes in one round trip each: `callqueue_initiate_call` (initiateCall's
 * checks, then migration 0020's callqueue_start_call) and `callqueue_end_call` (endCall: the
 * session's outcome counted as a call attempt, then migration 0020's callqueue_end_session). A
 * call's outcome is one function, `callqueue_apply_outcome`, conversions included
 * (`callqueue_convert`, which the manual and automatic conversions run too), which
 * callqueue_record_outcome (migration 0019) now calls, so an outcome recorded on an entry and one
 * given at the end of a call cannot drift apart.
 */

/* The claimant's live entry in the store the phase writes (queue.sql.ts's liveEntry), as JSON with its queue_type; `p_lock` takes it FOR UPDATE. */
const LIVE_ENTRY = `
  CREATE FUNCTION callqueue_live_entry(p_user bigint, p_lock boolean) RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    q text;
    e jsonb;
  BEGIN
    FOREACH q IN ARRAY ARRAY['unsigned_users', 'outstanding_requests'] LOOP
      EXECUTE format($q$SELECT to_jsonb(e.*) FROM %I e WHERE e.user_id = $1 AND e.status IN ('pending', 'assigned') %s$q$,
        callqueue_queue_table(q), CASE WHEN p_lock THEN 'FOR UPDATE' ELSE '' END) INTO e USING p_user;
      IF e IS NOT NULL THEN RETURN e || jsonb_build_object('queue_type', q); END IF;
    END LOOP;
    RETURN NULL;
  END $$`;

/*
 * queue-writes.service.ts's takeOutOfQueue: the entry closed (completed, or removed without its
 * agent) with its reason, a callback it carried cancelled, the transition row (unless
 * `p_transition` is NULL: a conversion records its own) and ENTRY_REMOVED.
 */
const TAKE_OUT = `
  CREATE FUNCTION callqueue_take_out(
    p_table text, p_queue text, p_user bigint, p_entry bigint, p_callback bigint, p_status text, p_reason text, p_transition text, p_actor text)
  RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    closed jsonb;
  BEGIN
    EXECUTE format($q$UPDATE %I e SET status = $3, closed_at = now(), closed_reason = left($2, 500), updated_at = now(),
                       assigned_to_agent_id = CASE WHEN $3 = 'removed' THEN NULL ELSE e.assigned_to_agent_id END
                     WHERE e.id = $1 RETURNING to_jsonb(e.*)$q$, p_table) INTO closed USING p_entry, p_reason, p_status;
    IF p_callback IS NOT NULL THEN
      UPDATE callbacks SET status = 'cancelled', closed_at = now(), updated_at = now() WHERE id = p_callback AND status = 'pending';
    END IF;
    IF p_transition IS NOT NULL THEN
      INSERT INTO queue_transitions (user_id, from_queue, to_queue, reason, actor) VALUES (p_user, p_queue, NULL, left(p_transition, 500), p_actor);
    END IF;
    PERFORM callqueue_publish_entry('ENTRY_REMOVED', p_queue, p_user, p_entry);
    RETURN closed || jsonb_build_object('queue_type', p_queue);
  END $$`;

/* A conversion, as events.ts's pgNotifyPublisher sends it: the log row and its notification. */
export const PUBLISH_CONVERSION = `
  CREATE FUNCTION callqueue_publish_conversion(p_conversion bigint) RETURNS void LANGUAGE sql VOLATILE AS $$
    WITH logged AS (INSERT INTO event_log (type, subject_id) VALUES ('CONVERSION_RECORDED', p_conversion) RETURNING id, txid)
    SELECT pg_notify('callqueue_events', jsonb_build_object('topic', 'conversionRecorded', 'conversionId', p_conversion,
      'at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'cursor', txid::text || ':' || id)::text) FROM logged
  $$`;

/*
 * conversion/convert.service.ts's conversion: the claimant (locked; refused when unknown or
 * converted already) leaves its queue, its score is deactivated, and the record keeps the
 * attempts, the final score, the previous queue, the documents and the agents of its call
 * sessions (primary: the most sessions, the latest on a tie); the transition and
 * CONVERSION_RECORDED. The conversion row as JSON.
 */
const CONVERT = `
  CREATE FUNCTION callqueue_convert(
    p_user bigint, p_type text, p_reason text, p_claim_value numeric, p_commission numeric, p_actor text) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    c record;
    s record;
    live jsonb;
    previous text;
    agents jsonb;
    recorded jsonb;
  BEGIN
    SELECT cl.converted_at, cl.signature_status INTO c FROM claimants cl WHERE cl.user_id = p_user FOR UPDATE;
    IF NOT FOUND THEN RAISE EXCEPTION 'claimant % does not exist', p_user USING ERRCODE = 'CQ404'; END IF;
    IF c.converted_at IS NOT NULL THEN
      RAISE EXCEPTION 'claimant % converted on %; it is in no queue any more', p_user,
        to_char(c.converted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') USING ERRCODE = 'CQ409';
    END IF;
    SELECT sc.current_score, sc.total_attempts, sc.last_call_at, sc.current_queue_type INTO s FROM user_call_scores sc WHERE sc.user_id = p_user;
    live := callqueue_live_entry(p_user, true);
    IF live IS NOT NULL THEN
      PERFORM callqueue_take_out(callqueue_queue_table(live->>'queue_type'), live->>'queue_type', p_user, (live->>'id')::bigint,
        (live->>'callback_id')::bigint, 'removed', 'converted', NULL, p_actor);
    END IF;
    previous := coalesce(live->>'queue_type', s.current_queue_type);
    SELECT coalesce(jsonb_agg(a.agent_id ORDER BY a.sessions DESC, a.latest DESC, a.agent_id), '[]') INTO agents
      FROM (SELECT agent_id, count(*) AS sessions, max(started_at) AS latest FROM call_sessions WHERE user_id = p_user GROUP BY agent_id) a;
    INSERT INTO conversions AS v (user_id, previous_queue_type, conversion_type, conversion_reason, final_score,
      total_call_attempts, last_call_at, primary_agent_id, contributing_agents, documents_received,
      signature_obtained, requirements_met, claim_value, estimated_commission)
    VALUES (p_user, previous, p_type, p_reason, s.current_score, coalesce(s.total_attempts, 0), s.last_call_at, (agents->>0)::bigint, agents,
      (SELECT coalesce(jsonb_agg(r.requirement_type ORDER BY r.id), '[]') FROM claim_requirements r WHERE r.user_id = p_user AND r.status = 'received'),
      c.signature_status = 'obtained',
      (SELECT coalesce(jsonb_agg(r.requirement_type ORDER BY r.id), '[]') FROM claim_requirements r
        WHERE r.user_id = p_user AND r.status IN ('received', 'waived')),
      p_claim_value, p_commission)
    -- Amounts as text, as the driver reads numeric columns (no float rounding on the way).
    RETURNING to_jsonb(v.*) || jsonb_build_object('claim_value', v.claim_value::text, 'estimated_commission', v.estimated_commission::text)
      INTO recorded;
    UPDATE claimants SET converted_at = now(), updated_at = now() WHERE user_id = p_user;
    UPDATE user_call_scores SET is_active = false, updated_at = now() WHERE user_id = p_user;
    INSERT INTO queue_transitions (user_id, from_queue, to_queue, reason, actor)
    VALUES (p_user, previous, NULL, left('converted (' || p_type || ')' || coalesce(': ' || p_reason, ''), 500), p_actor);
    PERFORM callqueue_publish_conversion((recorded->>'id')::bigint);
    RETURN recorded;
  END $$`;

/*
 * What a call's outcome does (outcome.service.ts's recordCallOutcome and endCall). The caller holds the
 * claimant's row lock and, when `p_entry` is given (the call's assigned entry, as JSON with its
 * queue_type), the entry's. Counts the attempt (the daily count on the claimant's own day), ends
 * the claimant's active session with the outcome unless the caller ends it (`p_end_session`
 * false: endCall ends it last, with the line), or records one from the assignment; completes a
 * due callback; then flags do-not-call and completes the entry (without one, removes the live
 * entry), or converts the claimant (callqueue_convert; the entry as it is after, with the
 * conversion's id as `conversion_id`), or releases it re-scored after the cooldown (tomorrow's
 * opening once the daily cap is reached; a callback still ahead keeps it queued until then), or
 * completes it. Without an entry the live entry's priority follows the new attempt count. Returns
 * the entry as it is after (the live one without an entry; NULL when there is none).
 */
const APPLY_OUTCOME = `
  CREATE FUNCTION callqueue_apply_outcome(
    p_user bigint, p_entry jsonb, p_outcome text, p_do_not_call boolean, p_actor text,
    p_cooldown_minutes integer, p_daily_cap integer, p_window_start integer, p_end_session boolean) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    e jsonb := p_entry;
    q text := e->>'queue_type';
    tbl text;
    entry_id bigint := (e->>'id')::bigint;
    cb_id bigint := (e->>'callback_id')::bigint;
    c record;
    attempt record;
    callback_ahead timestamptz;
    ended bigint;
    score integer;
    available timestamptz;
    result jsonb;
    converted jsonb;
    -- A conversion ends the claimant's calls whatever was asked; a refusal flags it do-not-call.
    do_not_call boolean := p_outcome <> 'converted' AND (p_do_not_call OR p_outcome = 'refused');
  BEGIN
    IF p_outcome NOT IN ('answered', 'no_answer', 'busy', 'voicemail', 'wrong_number', 'callback_requested', 'refused', 'converted', 'failed') THEN
      RAISE EXCEPTION 'outcome % is not a call outcome', p_outcome USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT cl.timezone, cl.signature_missing_since,
           (SELECT min(r.deadline) FROM claim_requirements r WHERE r.user_id = cl.user_id AND r.status = 'pending') AS next_deadline
      INTO c FROM claimants cl WHERE cl.user_id = p_user;

    -- score.sql.ts's recordAttempt: the daily count restarts on the claimant's own new day.
    INSERT INTO user_call_scores AS s (user_id, total_attempts, attempts_today, last_reset_date, last_call_at, last_outcome, next_call_after)
    VALUES (p_user, 1, 1, callqueue_local_day(c.timezone, now()), now(), p_outcome, now() + make_interval(mins => p_cooldown_minutes))
    ON CONFLICT (user_id) DO UPDATE SET
      total_attempts = s.total_attempts + 1,
      attempts_today = CASE WHEN s.last_reset_date = EXCLUDED.last_reset_date THEN s.attempts_today + 1 ELSE 1 END,
      last_reset_date = EXCLUDED.last_reset_date,
      last_call_at = EXCLUDED.last_call_at, last_outcome = EXCLUDED.last_outcome, next_call_after = EXCLUDED.next_call_after, updated_at = now()
    RETURNING s.total_attempts, s.attempts_today, s.next_call_after INTO attempt;

    -- The call's session ends with the outcome; an outcome recorded on an entry without one still leaves one.
    IF p_end_session THEN
      UPDATE call_sessions SET status = 'completed', outcome = p_outcome, ended_at = now()
       WHERE user_id = p_user AND status = 'active' RETURNING id INTO ended;
      IF ended IS NULL AND e IS NOT NULL THEN
        INSERT INTO call_sessions (user_id, agent_id, call_type, queue_type, queue_entry_id, status, outcome, started_at, ended_at)
        VALUES (p_user, (e->>'assigned_to_agent_id')::bigint, 'direct', q, entry_id, 'completed', p_outcome,
                coalesce((e->>'assigned_at')::timestamptz, now()), now());
      END IF;
    END IF;

    -- Refused, or asked not to be called: the claimant is flagged, its score no longer counts.
    IF do_not_call THEN
      UPDATE claimants SET do_not_call = true, updated_at = now() WHERE user_id = p_user;
      UPDATE user_call_scores SET is_active = false, updated_at = now() WHERE user_id = p_user;
    END IF;

    -- Without the call's entry, the claimant's live entry (if any) is what the outcome changes.
    IF e IS NULL THEN
      IF p_outcome = 'converted' THEN
        IF (SELECT converted_at FROM claimants WHERE user_id = p_user) IS NULL THEN
          PERFORM callqueue_convert(p_user, 'call', 'converted on a call', NULL, NULL, p_actor);
        END IF;
        RETURN NULL;
      END IF;
      e := callqueue_live_entry(p_user, true);
      IF e IS NULL THEN RETURN NULL; END IF;
      q := e->>'queue_type';
      tbl := callqueue_queue_table(q);
      entry_id := (e->>'id')::bigint;
      IF do_not_call THEN
        RETURN callqueue_take_out(tbl, q, p_user, entry_id, (e->>'callback_id')::bigint, 'removed',
          CASE WHEN p_outcome = 'refused' THEN 'refused' ELSE 'do not call requested' END, 'do not call', p_actor);
      END IF;
      -- queue-writes.service.ts's refreshLiveEntry: only the attempt count changed, so only the
      -- priority follows (a callback entry keeps its top priority until the callback is done).
      score := callqueue_policy_score(q, least((e->>'enqueued_at')::timestamptz, coalesce(c.signature_missing_since, 'infinity')),
        attempt.total_attempts, c.signature_missing_since, c.next_deadline, now());
      EXECUTE format($q$UPDATE %I e SET priority_score = CASE WHEN e.callback_id IS NULL THEN $2 ELSE e.priority_score END,
                         updated_at = now() WHERE e.id = $1 RETURNING to_jsonb(e.*)$q$, tbl) INTO result USING entry_id, score;
      UPDATE user_call_scores SET current_score = score, current_queue_type = q, last_queue_check = now(),
        priority_override = NULL, updated_at = now() WHERE user_id = p_user;
      PERFORM callqueue_publish_entry('ENTRY_UPDATED', q, p_user, entry_id);
      RETURN result || jsonb_build_object('queue_type', q);
    END IF;
    tbl := callqueue_queue_table(q);

    -- A due callback is what this call made: completed, and the entry loses its callback
    -- priority. A callback still ahead (scheduled during this call) keeps the claimant queued.
    IF cb_id IS NOT NULL THEN
      SELECT cb.scheduled_for INTO callback_ahead FROM callbacks cb
       WHERE cb.id = cb_id AND cb.status = 'pending' AND cb.scheduled_for > now() FOR UPDATE;
      IF callback_ahead IS NULL THEN
        UPDATE callbacks SET status = 'completed', closed_at = now(), updated_at = now() WHERE id = cb_id AND status = 'pending';
        EXECUTE format($q$UPDATE %I e SET callback_id = NULL, callback_scheduled_for = NULL, callback_reason = NULL,
                           available_from = least(e.available_from, now()), updated_at = now() WHERE e.id = $1$q$, tbl) USING entry_id;
        cb_id := NULL;
      END IF;
    END IF;

    IF p_outcome = 'converted' THEN
      -- A claimant converted already (another way, meanwhile) keeps its record; the entry is as it is.
      IF (SELECT converted_at FROM claimants WHERE user_id = p_user) IS NULL THEN
        converted := callqueue_convert(p_user, 'call', 'converted on a call', NULL, NULL, p_actor);
      END IF;
      EXECUTE format('SELECT to_jsonb(e.*) FROM %I e WHERE e.id = $1', tbl) INTO result USING entry_id;
      RETURN result || jsonb_build_object('queue_type', q, 'conversion_id', converted->'id');
    END IF;

    IF do_not_call THEN
      RETURN callqueue_take_out(tbl, q, p_user, entry_id, cb_id, 'completed',
        CASE WHEN p_outcome = 'refused' THEN 'refused' ELSE 'do not call requested' END, 'do not call', p_actor);
    END IF;

    -- The entry's score follows the new attempt count (entry-details.ts, in SQL).
    score := callqueue_policy_score(q, least((e->>'enqueued_at')::timestamptz, coalesce(c.signature_missing_since, 'infinity')),
      attempt.total_attempts, c.signature_missing_since, c.next_deadline, now());
    UPDATE user_call_scores SET current_score = score, current_queue_type = q, last_queue_check = now(),
      priority_override = NULL, updated_at = now() WHERE user_id = p_user;

    IF callback_ahead IS NOT NULL OR p_outcome IN ('no_answer', 'busy', 'voicemail', 'failed') THEN
      available := CASE
        WHEN callback_ahead IS NOT NULL THEN callback_ahead
        WHEN attempt.attempts_today >= p_daily_cap THEN greatest(attempt.next_call_after, callqueue_tomorrows_opening(c.timezone, now(), p_window_start))
        ELSE attempt.next_call_after END;
      EXECUTE format($q$UPDATE %I e SET status = 'pending', assigned_to_agent_id = NULL, assigned_at = NULL,
                         available_from = greatest(now(), $2), priority_score = $3, updated_at = now()
                       WHERE e.id = $1 RETURNING to_jsonb(e.*)$q$, tbl)
        INTO result USING entry_id, available, CASE WHEN callback_ahead IS NOT NULL THEN (e->>'priority_score')::integer ELSE score END;
      PERFORM callqueue_publish_entry('ENTRY_RELEASED', q, p_user, entry_id);
      RETURN result || jsonb_build_object('queue_type', q);
    END IF;
    RETURN callqueue_take_out(tbl, q, p_user, entry_id, cb_id, 'completed', p_outcome, 'call ' || p_outcome, p_actor);
  END $$`;

/* Migration 0019's: the entry's lock and refusals, the claimant's lock, then the outcome. */
const RECORD_OUTCOME = `
  CREATE OR REPLACE FUNCTION callqueue_record_outcome(
    p_entry bigint, p_agent bigint, p_outcome text, p_do_not_call boolean, p_actor text,
    p_cooldown_minutes integer, p_daily_cap integer, p_window_start integer) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    e jsonb := callqueue_lock_assigned_entry(p_entry, p_agent);
  BEGIN
    -- The claimant's row lock serialises its fact changes (facts.sql.ts's lockedFacts).
    PERFORM 1 FROM claimants WHERE user_id = (e->>'user_id')::bigint FOR UPDATE;
    RETURN callqueue_apply_outcome((e->>'user_id')::bigint, e, p_outcome, p_do_not_call, p_actor,
      p_cooldown_minutes, p_daily_cap, p_window_start, true);
  END $$`;

/*
 * lines.service.ts's endCall: the session (refused when unknown,
 * another agent's, or ended), then — claimant first, then the session: the lock order of every
 * call write — the outcome, on the claimant's entry when it is assigned to the session's agent;
 * last, the session's end with the line freed and dispatched (the line row held only for that
 * and the commit). The session as it is after.
 */
const END_CALL = `
  CREATE FUNCTION callqueue_end_call(
    p_session bigint, p_agent bigint, p_outcome text, p_actor text, p_cooldown_minutes integer, p_daily_cap integer,
    p_max_wait_seconds integer, p_window_start integer, p_window_end integer) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    s record;
    locked record;
    live jsonb;
  BEGIN
    SELECT cs.user_id, cs.agent_id INTO s FROM call_sessions cs WHERE cs.id = p_session;
    IF NOT FOUND THEN RAISE EXCEPTION 'call session % does not exist', p_session USING ERRCODE = 'CQ404'; END IF;
    IF p_agent IS NOT NULL AND s.agent_id IS DISTINCT FROM p_agent THEN
      RAISE EXCEPTION 'an AGENT key ends its own calls only; session % is agent %''s, not agent %''s', p_session, s.agent_id, p_agent
        USING ERRCODE = 'CQ403';
    END IF;
    PERFORM 1 FROM claimants WHERE user_id = s.user_id FOR UPDATE;
    SELECT cs.status, cs.outcome INTO locked FROM call_sessions cs WHERE cs.id = p_session FOR UPDATE;
    IF locked.status <> 'active' THEN
      RAISE EXCEPTION 'call session % has already ended (%)', p_session, locked.status || coalesce(', ' || locked.outcome, '') USING ERRCODE = 'CQ409';
    END IF;
    live := callqueue_live_entry(s.user_id, true);
    PERFORM callqueue_apply_outcome(s.user_id,
      CASE WHEN live->>'status' = 'assigned' AND (live->>'assigned_to_agent_id')::bigint = s.agent_id THEN live END,
      p_outcome, false, p_actor, p_cooldown_minutes, p_daily_cap, p_window_start, false);
    RETURN callqueue_end_session(p_session, p_outcome, p_max_wait_seconds, p_window_start, p_window_end, p_daily_cap);
  END $$`;

/*
 * lines.service.ts's initiateCall after its checks of the input's shape: the claimant locked and
 * refused when converted or do-not-call, the agent active, the contact policy (a direct call with
 * an override reason starts anyway), the campaign active, the claimant on no call and in no line;
 * then migration 0020's callqueue_start_call with the claimant's live entry.
 */
const INITIATE_CALL = `
  CREATE FUNCTION callqueue_initiate_call(
    p_user bigint, p_agent bigint, p_call_type text, p_priority integer, p_campaign bigint, p_override text,
    p_max_wait_seconds integer, p_window_start integer, p_window_end integer, p_daily_cap integer) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    c record;
    v record;
    a record;
    busy bigint;
    live jsonb;
    stamp text;
  BEGIN
    SELECT cl.converted_at, cl.do_not_call, cl.timezone, s.next_call_after,
           coalesce(callqueue_attempts_today(s.last_reset_date, s.attempts_today, cl.timezone, now()), 0) AS attempts_today
      INTO c FROM claimants cl LEFT JOIN user_call_scores s ON s.user_id = cl.user_id WHERE cl.user_id = p_user FOR UPDATE OF cl;
    IF NOT FOUND THEN RAISE EXCEPTION 'claimant % does not exist', p_user USING ERRCODE = 'CQ404'; END IF;
    IF c.converted_at IS NOT NULL THEN
      RAISE EXCEPTION 'claimant % converted on %; it is in no queue any more', p_user,
        to_char(c.converted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') USING ERRCODE = 'CQ409';
    END IF;
    IF c.do_not_call THEN
      RAISE EXCEPTION 'claimant % is marked do-not-call: they asked not to be called', p_user USING ERRCODE = 'CQ409';
    END IF;
    SELECT ag.is_active INTO a FROM agents ag WHERE ag.id = p_agent;
    IF NOT FOUND THEN RAISE EXCEPTION 'agent % does not exist', p_agent USING ERRCODE = 'CQ404'; END IF;
    IF NOT a.is_active THEN RAISE EXCEPTION 'agent % is not active', p_agent USING ERRCODE = 'CQ409'; END IF;

    IF NOT (p_call_type = 'direct' AND p_override IS NOT NULL) THEN
      SELECT * INTO v FROM callqueue_contact_verdict(c.do_not_call, c.next_call_after, c.attempts_today, c.timezone, false,
        now(), p_window_start, p_window_end, p_daily_cap);
      IF v.kind = 'not_now' THEN
        stamp := to_char(v.until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
        RAISE EXCEPTION 'claimant % may not be called now (%); the next allowed time is %; %', p_user, v.reason, stamp,
          CASE WHEN p_call_type = 'campaign' THEN 'campaign calls follow the contact policy'
               ELSE 'a direct call may start anyway with overrideReason (for example, the claimant asked to be called now)' END
          USING ERRCODE = 'CQ409', DETAIL = jsonb_build_object('reason', v.reason, 'availableAt', stamp)::text;
      END IF;
    END IF;

    IF p_campaign IS NOT NULL THEN
      SELECT cp.status, cp.name INTO a FROM campaigns cp WHERE cp.id = p_campaign;
      IF NOT FOUND THEN RAISE EXCEPTION 'campaign % does not exist', p_campaign USING ERRCODE = 'CQ404'; END IF;
      IF a.status <> 'active' THEN RAISE EXCEPTION 'campaign % (%) is paused', p_campaign, a.name USING ERRCODE = 'CQ409'; END IF;
    END IF;

    SELECT id INTO busy FROM call_sessions WHERE user_id = p_user AND status = 'active';
    IF busy IS NOT NULL THEN
      RAISE EXCEPTION 'claimant % is already on a call (session %)', p_user, busy
        USING ERRCODE = 'CQ409', DETAIL = jsonb_build_object('sessionId', busy::text)::text;
    END IF;
    SELECT id INTO busy FROM call_requests WHERE user_id = p_user AND status = 'queued';
    IF busy IS NOT NULL THEN
      RAISE EXCEPTION 'claimant % already has a call waiting for a line (request %)', p_user, busy
        USING ERRCODE = 'CQ409', DETAIL = jsonb_build_object('requestId', busy::text)::text;
    END IF;

    live := callqueue_live_entry(p_user, false);
    RETURN callqueue_start_call(p_user, p_agent, p_call_type, p_priority, p_campaign, p_override, live->>'queue_type', (live->>'id')::bigint,
      p_max_wait_seconds, p_window_start, p_window_end, p_daily_cap);
  END $$`;

export class Migration20261202000021_calls_in_sql extends Migration {
  override async up(): Promise<void> {
    for (const statement of [LIVE_ENTRY, TAKE_OUT, PUBLISH_CONVERSION, CONVERT, APPLY_OUTCOME, RECORD_OUTCOME, END_CALL, INITIATE_CALL]) {
      this.addSql(statement);
    }
    // Migration 0019's callqueue_close_entry served only its own callqueue_record_outcome, replaced above.
    this.addSql(`DROP FUNCTION callqueue_close_entry(text, text, bigint, bigint, bigint, text, text, text)`);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP FUNCTION callqueue_initiate_call(bigint, bigint, text, integer, bigint, text, integer, integer, integer, integer)`);
    this.addSql(`DROP FUNCTION callqueue_end_call(bigint, bigint, text, text, integer, integer, integer, integer, integer)`);
    // Migration 0019's own bodies back, which did not depend on the functions dropped next.
    this.addSql(PREVIOUS.CLOSE_ENTRY);
    this.addSql(PREVIOUS.RECORD_OUTCOME.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'));
    this.addSql(`DROP FUNCTION callqueue_apply_outcome(bigint, jsonb, text, boolean, text, integer, integer, integer, boolean)`);
    this.addSql(`DROP FUNCTION callqueue_convert(bigint, text, text, numeric, numeric, text)`);
    this.addSql(`DROP FUNCTION callqueue_publish_conversion(bigint)`);
    this.addSql(`DROP FUNCTION callqueue_take_out(text, text, bigint, bigint, bigint, text, text, text, text)`);
    this.addSql(`DROP FUNCTION callqueue_live_entry(bigint, boolean)`);
  }
}
