import { Migration } from '@mikro-orm/migrations';

/**
 * Line dispatch in one statement: `callqueue_dispatch` does what lines.service.ts's dispatch did
 * in four statements per request started — lock the line row, take the best queued requests
 * while lines are free (direct before campaign, oldest first), close the expired ones and those
 * the contact policy now refuses, start the others, and announce each — so that the line row,
 * which every call start and end queues on, is held for one statement and the commit.
 * The contact policy is migration 0018's callqueue_contact_verdict, as the claim's.
 */
/* A call request's change, as events.ts's pgNotifyPublisher sends it: logged when it names a request. */
const PUBLISH_REQUEST = `
  CREATE FUNCTION callqueue_publish_request(p_request bigint) RETURNS void LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    stamp text := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
    logged record;
  BEGIN
    IF p_request IS NULL THEN
      -- "The line moved": every queued request's position may have changed; a signal, not logged.
      PERFORM pg_notify('callqueue_events', jsonb_build_object('topic', 'callRequestUpdated', 'requestId', NULL, 'at', stamp)::text);
      RETURN;
    END IF;
    INSERT INTO event_log (type, subject_id) VALUES ('CALL_REQUEST_UPDATED', p_request) RETURNING id, txid INTO logged;
    PERFORM pg_notify('callqueue_events', jsonb_build_object('topic', 'callRequestUpdated', 'requestId', p_request, 'at', stamp,
      'cursor', logged.txid::text || ':' || logged.id)::text);
  END $$`;

/*
 * lines.service.ts's dispatch: the lines still free afterwards (the line row stays locked until
 * the caller commits). A request's facts are read without a lock: the line row is held, and
 * the lock order is claimant before line; a fact that changes meanwhile is judged by the next call.
 */
const DISPATCH = `
  CREATE FUNCTION callqueue_dispatch(p_max_wait_seconds integer, p_window_start integer, p_window_end integer, p_daily_cap integer)
  RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    free integer;
    moved integer := 0;
    r record;
    f record;
    v record;
    refusal text;
    session_id bigint;
  BEGIN
    SELECT max_lines - active INTO free FROM call_lines FOR UPDATE;
    WHILE free > 0 LOOP
      SELECT q.*, q.created_at + make_interval(secs => p_max_wait_seconds) < now() AS expired INTO r
        FROM call_requests q WHERE q.status = 'queued' ORDER BY q.priority DESC, q.created_at, q.id LIMIT 1 FOR UPDATE SKIP LOCKED;
      EXIT WHEN NOT FOUND;
      moved := moved + 1;
      IF r.expired THEN
        UPDATE call_requests SET status = 'expired', closed_at = now(), closed_reason = 'waited longer than the maximum wait for a line'
         WHERE id = r.id AND status = 'queued';
        PERFORM callqueue_publish_request(r.id);
        CONTINUE;
      END IF;
      -- The contact policy again, as a line frees (a direct call with an override starts anyway).
      refusal := NULL;
      IF NOT (r.call_type = 'direct' AND r.override_reason IS NOT NULL) THEN
        SELECT c.converted_at IS NOT NULL AS converted, c.do_not_call, c.timezone, s.next_call_after,
               callqueue_attempts_today(s.last_reset_date, s.attempts_today, c.timezone, now()) AS attempts_today
          INTO f FROM claimants c LEFT JOIN user_call_scores s ON s.user_id = c.user_id WHERE c.user_id = r.user_id;
        IF NOT FOUND THEN
          refusal := 'the claimant no longer exists';
        ELSIF f.converted THEN
          refusal := 'the claimant converted';
        ELSE
          SELECT * INTO v FROM callqueue_contact_verdict(f.do_not_call, f.next_call_after, coalesce(f.attempts_today, 0), f.timezone,
            false, now(), p_window_start, p_window_end, p_daily_cap);
          refusal := CASE v.kind
            WHEN 'refused' THEN 'contact policy: ' || v.reason
            WHEN 'not_now' THEN 'contact policy: ' || v.reason || ' when a line freed; allowed from '
                                || to_char(v.until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END;
        END IF;
      END IF;
      IF refusal IS NULL THEN
        -- The call starts when the line is granted (not when this transaction began).
        INSERT INTO call_sessions (user_id, agent_id, call_type, campaign_id, status, override_reason, started_at)
        VALUES (r.user_id, r.agent_id, r.call_type, r.campaign_id, 'active', r.override_reason, clock_timestamp())
        ON CONFLICT (user_id) WHERE status = 'active' DO NOTHING RETURNING id INTO session_id;
        IF session_id IS NULL THEN refusal := 'the claimant got on a call another way'; END IF;
      END IF;
      IF refusal IS NOT NULL THEN
        UPDATE call_requests SET status = 'cancelled', closed_at = now(), closed_reason = refusal WHERE id = r.id AND status = 'queued';
      ELSE
        UPDATE call_requests SET status = 'dispatched', dispatched_at = clock_timestamp(), call_session_id = session_id WHERE id = r.id;
        free := free - 1;
      END IF;
      PERFORM callqueue_publish_request(r.id);
    END LOOP;
    IF moved > 0 THEN PERFORM callqueue_publish_request(NULL); END IF;
    RETURN free;
  END $$`;

/*
 * endCall's locked section: the session ends with its outcome (its trigger frees the line, taking
 * the line row) and the freed line goes to the best waiting request, in one statement; the
 * session as it is after. Everything else endCall does comes before, without the line row.
 */
const END_SESSION = `
  CREATE FUNCTION callqueue_end_session(
    p_session bigint, p_outcome text, p_max_wait_seconds integer, p_window_start integer, p_window_end integer, p_daily_cap integer)
  RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    ended jsonb;
  BEGIN
    UPDATE call_sessions s SET status = 'completed', outcome = p_outcome, ended_at = now()
     WHERE s.id = p_session AND s.status = 'active' RETURNING to_jsonb(s.*) INTO ended;
    PERFORM callqueue_dispatch(p_max_wait_seconds, p_window_start, p_window_end, p_daily_cap);
    RETURN ended;
  END $$`;

/*
 * initiateCall's locked section, after its checks (claimant locked): requests already waiting go
 * first, then the call starts on a free line — {"session": …} — or joins the line — {"request_id": …},
 * created_at the clock at insert, under the line lock: the order requests joined the line.
 */
const START_CALL = `
  CREATE FUNCTION callqueue_start_call(
    p_user bigint, p_agent bigint, p_call_type text, p_priority integer, p_campaign bigint, p_override text, p_queue text, p_entry bigint,
    p_max_wait_seconds integer, p_window_start integer, p_window_end integer, p_daily_cap integer)
  RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    started jsonb;
    request_id bigint;
  BEGIN
    IF callqueue_dispatch(p_max_wait_seconds, p_window_start, p_window_end, p_daily_cap) > 0 THEN
      INSERT INTO call_sessions AS s (user_id, agent_id, call_type, campaign_id, queue_type, queue_entry_id, status, override_reason)
      VALUES (p_user, p_agent, p_call_type, p_campaign, p_queue, p_entry, 'active', p_override)
      ON CONFLICT (user_id) WHERE status = 'active' DO NOTHING RETURNING to_jsonb(s.*) INTO started;
      IF started IS NULL THEN RAISE EXCEPTION 'claimant % is already on an active call', p_user USING ERRCODE = 'CQ409'; END IF;
      RETURN jsonb_build_object('session', started);
    END IF;
    INSERT INTO call_requests (call_type, priority, user_id, agent_id, campaign_id, created_at, override_reason)
    VALUES (p_call_type, p_priority, p_user, p_agent, p_campaign, clock_timestamp(), p_override)
    RETURNING id INTO request_id;
    RETURN jsonb_build_object('request_id', request_id);
  END $$`;

export class Migration20261202000020_dispatch_in_sql extends Migration {
  override async up(): Promise<void> {
    for (const statement of [PUBLISH_REQUEST, DISPATCH, END_SESSION, START_CALL]) this.addSql(statement);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP FUNCTION callqueue_start_call(bigint, bigint, text, integer, bigint, text, text, bigint, integer, integer, integer, integer)`);
    this.addSql(`DROP FUNCTION callqueue_end_session(bigint, text, integer, integer, integer, integer)`);
    this.addSql(`DROP FUNCTION callqueue_dispatch(integer, integer, integer, integer)`);
    this.addSql(`DROP FUNCTION callqueue_publish_request(bigint)`);
  }
}
