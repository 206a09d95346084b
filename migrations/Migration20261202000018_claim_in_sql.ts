import { Migration } from '@mikro-orm/migrations';

/**
 * The claim in one round trip. `callqueue_claim` does in the database what assignNextUser did
 * in eight statements: the phase's share lock, the agent's lock, the pick with SKIP LOCKED, the
 * live checks (the calling window computed in the claimant's zone), the defers and removals of
 * entries that fail them, the assignment and its lease, the transition rows and the events.
 *
 * The rules are the TypeScript policy's (queue/eligibility.ts, queue/contact-policy.ts,
 * queue/calling-window.ts), which stay the readable statement of them and serve
 * scoreBreakdown and diagnostics; tests/queue/policy-parity.test.ts asserts that both give the
 * same verdict over a generated matrix of cases.
 */

/* The facts a claim checks, for one entry: the claim and the diagnostics read this one function. */
const CANDIDATE_FACTS = `
  CREATE FUNCTION callqueue_candidate_facts(p_user bigint, p_callback bigint, p_at timestamptz)
  RETURNS TABLE (timezone text, do_not_call boolean, converted boolean, signature_obtained boolean, score_active boolean,
                 next_call_after timestamptz, attempts_today integer, has_pending_requirement boolean, claimant_requested boolean)
  LANGUAGE sql STABLE AS $$
    SELECT c.timezone, c.do_not_call, c.converted_at IS NOT NULL, c.signature_status = 'obtained',
           coalesce(s.is_active, false), s.next_call_after,
           callqueue_attempts_today(s.last_reset_date, s.attempts_today, c.timezone, p_at),
           EXISTS (SELECT 1 FROM claim_requirements r WHERE r.user_id = p_user AND r.status = 'pending'),
           coalesce((SELECT cb.claimant_requested FROM callbacks cb WHERE cb.id = p_callback AND cb.status = 'pending'), false)
      FROM claimants c LEFT JOIN user_call_scores s ON s.user_id = c.user_id
     WHERE c.user_id = p_user
  $$`;

/*
 * calling-window.ts's instantOf: the instant the zone's clock shows `local`; a time shown twice
 * (fall-back) is its first, a skipped time (spring-forward gap) is moved forward by the gap
 * (the offset before the change applies). AT TIME ZONE alone would take the second of two.
 */
const LOCAL_INSTANT = `
  CREATE FUNCTION callqueue_local_instant(p_tz text, p_local timestamp) RETURNS timestamptz
  LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH wanted AS (SELECT p_local AT TIME ZONE 'UTC' AS utc),
    candidates AS (
      SELECT utc - ((x AT TIME ZONE p_tz) - (x AT TIME ZONE 'UTC')) AS instant, x < utc AS before_change
        FROM wanted, LATERAL (VALUES (utc - interval '1 day'), (utc + interval '1 day')) AS around(x))
    SELECT coalesce(
      (SELECT min(instant) FROM candidates WHERE instant AT TIME ZONE p_tz = p_local),
      (SELECT instant FROM candidates WHERE before_change))
  $$`;

/* calling-window.ts's nextWindowOpening: null inside the window, else the next opening, in the claimant's zone. */
const WINDOW_OPENING = `
  CREATE FUNCTION callqueue_window_opening(p_tz text, p_at timestamptz, p_start integer, p_end integer) RETURNS timestamptz
  LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
      WHEN minute >= p_start AND minute < p_end THEN NULL
      WHEN minute < p_start THEN callqueue_local_instant(p_tz, day + make_interval(mins => p_start))
      ELSE callqueue_local_instant(p_tz, day + 1 + make_interval(mins => p_start)) END
      FROM (SELECT local::date AS day, extract(hour FROM local)::int * 60 + extract(minute FROM local)::int AS minute
              FROM (SELECT p_at AT TIME ZONE p_tz AS local) l) parts
  $$`;

/* calling-window.ts's tomorrowsOpening. */
const TOMORROWS_OPENING = `
  CREATE FUNCTION callqueue_tomorrows_opening(p_tz text, p_at timestamptz, p_start integer) RETURNS timestamptz
  LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT callqueue_local_instant(p_tz, (p_at AT TIME ZONE p_tz)::date + 1 + make_interval(mins => p_start))
  $$`;

/* contact-policy.ts's contactVerdict: one rule for claims and calls, as in TypeScript. */
const CONTACT_VERDICT = `
  CREATE FUNCTION callqueue_contact_verdict(
    f_do_not_call boolean, f_next_call_after timestamptz, f_attempts_today integer, f_tz text, f_claimant_requested boolean,
    p_at timestamptz, p_window_start integer, p_window_end integer, p_daily_cap integer,
    OUT kind text, OUT until timestamptz, OUT reason text)
  LANGUAGE plpgsql STABLE AS $$
  DECLARE
    opening timestamptz;
  BEGIN
    IF f_do_not_call THEN kind := 'refused'; reason := 'do not call'; RETURN; END IF;
    kind := 'not_now';
    IF NOT f_claimant_requested AND f_next_call_after > p_at THEN
      until := f_next_call_after; reason := 'cooldown'; RETURN;
    END IF;
    IF f_attempts_today >= p_daily_cap THEN
      until := callqueue_tomorrows_opening(f_tz, p_at, p_window_start); reason := 'daily attempt cap reached'; RETURN;
    END IF;
    IF NOT f_claimant_requested THEN
      opening := callqueue_window_opening(f_tz, p_at, p_window_start, p_window_end);
      IF opening IS NOT NULL THEN until := opening; reason := 'outside the calling window'; RETURN; END IF;
    END IF;
    kind := 'allowed';
  END $$`;

/* eligibility.ts's checkEligibility: the claim's own checks, then the contact policy's. */
const CLAIM_VERDICT = `
  CREATE FUNCTION callqueue_claim_verdict(
    p_queue text, f_score_active boolean, f_do_not_call boolean, f_converted boolean, f_signature_obtained boolean,
    f_has_pending_requirement boolean, f_next_call_after timestamptz, f_attempts_today integer, f_tz text,
    f_claimant_requested boolean, p_at timestamptz, p_window_start integer, p_window_end integer, p_daily_cap integer,
    OUT kind text, OUT until timestamptz, OUT reason text)
  LANGUAGE plpgsql STABLE AS $$
  DECLARE
    contact record;
  BEGIN
    kind := 'remove';
    IF NOT f_score_active THEN reason := 'score inactive'; RETURN; END IF;
    IF f_do_not_call THEN reason := 'do not call'; RETURN; END IF;
    IF f_converted THEN reason := 'already converted'; RETURN; END IF;
    IF p_queue = 'unsigned_users' AND f_signature_obtained THEN reason := 'signature already obtained'; RETURN; END IF;
    IF p_queue = 'outstanding_requests' AND NOT f_has_pending_requirement THEN reason := 'no requirement pending'; RETURN; END IF;
    SELECT * INTO contact FROM callqueue_contact_verdict(f_do_not_call, f_next_call_after, f_attempts_today, f_tz,
      f_claimant_requested, p_at, p_window_start, p_window_end, p_daily_cap);
    kind := CASE contact.kind WHEN 'allowed' THEN 'assign' WHEN 'refused' THEN 'remove' ELSE 'defer' END;
    until := contact.until;
    reason := contact.reason;
  END $$`;

/*
 * A queue event, as events.ts's pgNotifyPublisher sends it: the log row and its notification
 * (with the row's cursor), delivered when the transaction commits.
 */
export const PUBLISH_ENTRY = `
  CREATE FUNCTION callqueue_publish_entry(p_kind text, p_queue text, p_user bigint, p_entry bigint) RETURNS void
  LANGUAGE sql VOLATILE AS $$
    WITH logged AS (
      INSERT INTO event_log (type, queue_type, user_id, entry_id) VALUES (p_kind, p_queue, p_user, p_entry) RETURNING id, txid)
    SELECT pg_notify('callqueue_events', jsonb_build_object(
      'topic', 'queueChanged', 'kind', p_kind, 'queueType', p_queue, 'userId', p_user, 'entryId', p_entry,
      'at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'cursor', txid::text || ':' || id)::text) FROM logged
  $$`;

/*
 * The table (or legacy view) of a queue in the store the migration phase writes first (phases.ts:
 * storeOf), the phase share-locked until commit as every write transaction takes it.
 */
const QUEUE_TABLE = `
  CREATE FUNCTION callqueue_queue_table(p_queue text) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
  BEGIN
    IF p_queue NOT IN ('unsigned_users', 'outstanding_requests') THEN
      RAISE EXCEPTION 'unknown queue %', p_queue USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN CASE WHEN migration_phase_for_write() IN ('PRE_MIGRATION', 'DUAL_WRITE', 'BACKFILLED') THEN 'legacy_' ELSE '' END || p_queue || '_queue';
  END $$`;

/*
 * claim.service.ts's lockAssignedEntry: the assigned entry, locked, as JSON with its queue_type;
 * refused unless the agent (when given) holds it, and an agent whose lease lapsed is told so.
 */
const LOCK_ASSIGNED = `
  CREATE FUNCTION callqueue_lock_assigned_entry(p_entry bigint, p_agent bigint) RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    q text;
    e jsonb;
    lapsed timestamptz;
    stamp text;
  BEGIN
    FOREACH q IN ARRAY ARRAY['unsigned_users', 'outstanding_requests'] LOOP
      EXECUTE format('SELECT to_jsonb(e.*) FROM %I e WHERE e.id = $1 FOR UPDATE', callqueue_queue_table(q)) INTO e USING p_entry;
      EXIT WHEN e IS NOT NULL;
    END LOOP;
    IF e IS NULL THEN RAISE EXCEPTION 'queue entry % does not exist', p_entry USING ERRCODE = 'CQ404'; END IF;
    IF p_agent IS NOT NULL AND NOT (e->>'status' = 'assigned' AND (e->>'assigned_to_agent_id')::bigint = p_agent) THEN
      SELECT expires_at INTO lapsed FROM assignment_leases WHERE entry_id = p_entry AND agent_id = p_agent AND lapsed_at IS NOT NULL;
      IF FOUND THEN
        stamp := to_char(lapsed AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
        RAISE EXCEPTION 'agent %''s assignment of queue entry % lapsed at % (not renewed within ASSIGNMENT_LEASE_SECONDS) and the entry went back to its queue; claim again',
          p_agent, p_entry, stamp USING ERRCODE = 'CQ409', DETAIL = jsonb_build_object('leaseExpiredAt', stamp)::text;
      END IF;
    END IF;
    IF e->>'status' <> 'assigned' THEN
      RAISE EXCEPTION 'queue entry % is %, not assigned', p_entry, e->>'status' USING ERRCODE = 'CQ409';
    END IF;
    IF p_agent IS NOT NULL AND (e->>'assigned_to_agent_id')::bigint <> p_agent THEN
      RAISE EXCEPTION 'queue entry % is assigned to agent %, not to agent %', p_entry, e->>'assigned_to_agent_id', p_agent USING ERRCODE = 'CQ409';
    END IF;
    RETURN e || jsonb_build_object('queue_type', q);
  END $$`;

/* claim.service.ts's releaseEntry: the assigned entry back to pending, available now, and ENTRY_RELEASED. */
const RELEASE = `
  CREATE FUNCTION callqueue_release(p_entry bigint, p_agent bigint) RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    e jsonb := callqueue_lock_assigned_entry(p_entry, p_agent);
    q text := e->>'queue_type';
    released jsonb;
  BEGIN
    EXECUTE format($q$UPDATE %I e SET status = 'pending', assigned_to_agent_id = NULL, assigned_at = NULL,
                       available_from = now(), updated_at = now()
                     WHERE e.id = $1 RETURNING to_jsonb(e.*)$q$, callqueue_queue_table(q)) INTO released USING p_entry;
    PERFORM callqueue_publish_entry('ENTRY_RELEASED', q, (e->>'user_id')::bigint, p_entry);
    RETURN released || jsonb_build_object('queue_type', q);
  END $$`;

/*
 * The pick, one function per queue table (and legacy view) so that its statements are static and
 * Postgres keeps their plans (EXECUTE would plan the pick on every claim: 1.2 ms, six times the
 * query itself). The head of the claim index with the count the agent holds; entries whose
 * claimant is on a call, or whose callback is another agent's until its grace passes, are not
 * this agent's to lock. `p_wait`: queue behind the rows other transactions hold, instead of
 * passing over them (SKIP LOCKED).
 */
const PICK_COLUMNS = `held integer, id bigint, user_id bigint, callback_id bigint, timezone text, do_not_call boolean, converted boolean,
  signature_obtained boolean, score_active boolean, next_call_after timestamptz, attempts_today integer,
  has_pending_requirement boolean, claimant_requested boolean`;

function pickIn(table: string, unsigned: string, outstanding: string): string {
  const query = (lock: string) => `
      SELECT ((SELECT count(*) FROM ${unsigned} WHERE assigned_to_agent_id = p_agent AND status = 'assigned') +
              (SELECT count(*) FROM ${outstanding} WHERE assigned_to_agent_id = p_agent AND status = 'assigned'))::int AS held, cand.*
        FROM (SELECT 1) one
        LEFT JOIN LATERAL (
          SELECT e.id, e.user_id, e.callback_id, f.*
            FROM (SELECT q.id, q.user_id, q.callback_id FROM ${table} q
                   WHERE q.status = 'pending' AND q.available_from <= now()
                     AND NOT EXISTS (SELECT 1 FROM call_sessions cs WHERE cs.user_id = q.user_id AND cs.status = 'active')
                     AND (q.callback_id IS NULL OR NOT EXISTS (
                           SELECT 1 FROM callbacks cb WHERE cb.id = q.callback_id AND cb.agent_id IS NOT NULL
                              AND cb.agent_id <> p_agent AND cb.scheduled_for + make_interval(mins => p_grace) > now()))
                   ORDER BY q.priority_score DESC, q.available_from, q.id
                   LIMIT 1
                   FOR UPDATE ${lock}) e
            CROSS JOIN LATERAL callqueue_candidate_facts(e.user_id, e.callback_id, now()) f) cand ON true`;
  return `
  CREATE FUNCTION callqueue_pick_${table}(p_agent bigint, p_grace integer, p_wait boolean) RETURNS TABLE (${PICK_COLUMNS})
  LANGUAGE plpgsql VOLATILE AS $$
  #variable_conflict use_column
  BEGIN
    IF p_wait THEN RETURN QUERY ${query('')};
    ELSE RETURN QUERY ${query('SKIP LOCKED')};
    END IF;
  END $$`;
}

/** The queue tables of each store (queue-type.ts's QUEUE_TABLE), with the two the held count reads. */
const PICK_TABLES = (['', 'legacy_'] as const).flatMap((store) => {
  const [unsigned, outstanding] = [`${store}unsigned_users_queue`, `${store}outstanding_requests_queue`];
  return [unsigned, outstanding].map((table) => ({ table, unsigned, outstanding }));
});

/* The pick of the table callqueue_queue_table named. */
const PICK = `
  CREATE FUNCTION callqueue_pick(p_table text, p_agent bigint, p_grace integer, p_wait boolean) RETURNS TABLE (${PICK_COLUMNS})
  LANGUAGE plpgsql VOLATILE AS $$
  BEGIN
    CASE p_table
${PICK_TABLES.map(({ table }) => `      WHEN '${table}' THEN RETURN QUERY SELECT * FROM callqueue_pick_${table}(p_agent, p_grace, p_wait);`).join('\n')}
    END CASE;
  END $$`;

/*
 * The claim. Errors carry SQLSTATE CQ404 (unknown agent) or CQ409 (a conflict), which the
 * service turns into NOT_FOUND and CONFLICT. Returns the assigned entry as JSON (its columns
 * and queue_type), or NULL when no entry can be claimed.
 *
 * Each statement of a plpgsql function takes its own snapshot (READ COMMITTED), so the pick
 * reads a snapshot taken after the agent's lock, as the separate statements did.
 */
const CLAIM = `
  CREATE FUNCTION callqueue_claim(
    p_agent bigint, p_queue text, p_actor text, p_max_assigned integer, p_max_checks integer, p_grace_minutes integer,
    p_lease_seconds integer, p_window_start integer, p_window_end integer, p_daily_cap integer) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    tbl text := callqueue_queue_table(p_queue);
    active boolean;
    c record;
    v record;
    assigned jsonb;
  BEGIN
    -- The agent's row lock serialises one agent's claims (the "at most N held" check).
    SELECT a.is_active INTO active FROM agents a WHERE a.id = p_agent FOR UPDATE;
    IF NOT FOUND THEN RAISE EXCEPTION 'agent % does not exist', p_agent USING ERRCODE = 'CQ404'; END IF;
    IF NOT active THEN RAISE EXCEPTION 'agent % is not active', p_agent USING ERRCODE = 'CQ409'; END IF;

    FOR checks IN 1..p_max_checks LOOP
      SELECT * INTO c FROM callqueue_pick(tbl, p_agent, p_grace_minutes, false);
      -- None free: the rows may all be held (a repopulation applying its changes locks every
      -- entry it touches), so wait for them once, then look again with a fresh snapshot.
      IF c.id IS NULL AND c.held < p_max_assigned THEN
        SELECT * INTO c FROM callqueue_pick(tbl, p_agent, p_grace_minutes, true);
        IF c.id IS NULL THEN SELECT * INTO c FROM callqueue_pick(tbl, p_agent, p_grace_minutes, false); END IF;
      END IF;
      IF c.held >= p_max_assigned THEN
        RAISE EXCEPTION 'agent % already holds % assigned %; record an outcome or release it first', p_agent, c.held,
          CASE WHEN c.held = 1 THEN 'entry' ELSE 'entries' END || ' (at most ' || p_max_assigned || ')' USING ERRCODE = 'CQ409';
      END IF;
      IF c.id IS NULL THEN RETURN NULL; END IF;

      SELECT * INTO v FROM callqueue_claim_verdict(p_queue, c.score_active, c.do_not_call, c.converted, c.signature_obtained,
        c.has_pending_requirement, c.next_call_after, c.attempts_today, c.timezone, c.claimant_requested,
        now(), p_window_start, p_window_end, p_daily_cap);

      IF v.kind = 'assign' THEN
        EXECUTE format($q$UPDATE %I e SET status = 'assigned', assigned_to_agent_id = $1, assigned_at = now(), updated_at = now()
                           WHERE e.id = $2 RETURNING to_jsonb(e.*)$q$, tbl) INTO assigned USING p_agent, c.id;
        INSERT INTO assignment_leases (entry_id, agent_id, assigned_at, expires_at)
        VALUES (c.id, p_agent, now(), now() + make_interval(secs => p_lease_seconds))
        ON CONFLICT (entry_id) DO UPDATE SET agent_id = EXCLUDED.agent_id, assigned_at = EXCLUDED.assigned_at,
          expires_at = EXCLUDED.expires_at, lapsed_at = NULL;
        PERFORM callqueue_publish_entry('ENTRY_ASSIGNED', p_queue, c.user_id, c.id);
        RETURN assigned || jsonb_build_object('queue_type', p_queue);
      ELSIF v.kind = 'remove' THEN
        EXECUTE format($q$UPDATE %I e SET status = 'removed', assigned_to_agent_id = NULL, closed_at = now(),
                           closed_reason = $1, updated_at = now() WHERE e.id = $2$q$, tbl) USING v.reason, c.id;
        -- A callback promised on this entry cannot be kept once the entry is gone.
        IF c.callback_id IS NOT NULL THEN
          UPDATE callbacks SET status = 'cancelled', closed_at = now(), updated_at = now() WHERE id = c.callback_id AND status = 'pending';
        END IF;
        INSERT INTO queue_transitions (user_id, from_queue, to_queue, reason, actor)
        VALUES (c.user_id, p_queue, NULL, 'claim check: ' || v.reason, p_actor);
        PERFORM callqueue_publish_entry('ENTRY_REMOVED', p_queue, c.user_id, c.id);
      ELSE
        EXECUTE format($q$UPDATE %I e SET available_from = $1, updated_at = now() WHERE e.id = $2$q$, tbl) USING v.until, c.id;
        PERFORM callqueue_publish_entry('ENTRY_UPDATED', p_queue, c.user_id, c.id);
      END IF;
    END LOOP;
    RETURN NULL;
  END $$`;

export class Migration20261202000018_claim_in_sql extends Migration {
  override async up(): Promise<void> {
    for (const statement of [CANDIDATE_FACTS, LOCAL_INSTANT, WINDOW_OPENING, TOMORROWS_OPENING, CONTACT_VERDICT, CLAIM_VERDICT, PUBLISH_ENTRY, QUEUE_TABLE, LOCK_ASSIGNED, RELEASE,
      ...PICK_TABLES.map((t) => pickIn(t.table, t.unsigned, t.outstanding)), PICK, CLAIM]) this.addSql(statement);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP FUNCTION callqueue_claim(bigint, text, text, integer, integer, integer, integer, integer, integer, integer)`);
    this.addSql(`DROP FUNCTION callqueue_pick(text, bigint, integer, boolean)`);
    for (const { table } of PICK_TABLES) this.addSql(`DROP FUNCTION callqueue_pick_${table}(bigint, integer, boolean)`);
    this.addSql(`DROP FUNCTION callqueue_release(bigint, bigint)`);
    this.addSql(`DROP FUNCTION callqueue_lock_assigned_entry(bigint, bigint)`);
    this.addSql(`DROP FUNCTION callqueue_queue_table(text)`);
    this.addSql(`DROP FUNCTION callqueue_publish_entry(text, text, bigint, bigint)`);
    this.addSql(`DROP FUNCTION callqueue_claim_verdict(text, boolean, boolean, boolean, boolean, boolean, timestamptz, integer, text, boolean, timestamptz, integer, integer, integer)`);
    this.addSql(`DROP FUNCTION callqueue_contact_verdict(boolean, timestamptz, integer, text, boolean, timestamptz, integer, integer, integer)`);
    this.addSql(`DROP FUNCTION callqueue_tomorrows_opening(text, timestamptz, integer)`);
    this.addSql(`DROP FUNCTION callqueue_window_opening(text, timestamptz, integer, integer)`);
    this.addSql(`DROP FUNCTION callqueue_local_instant(text, timestamp)`);
    this.addSql(`DROP FUNCTION callqueue_candidate_facts(bigint, bigint, timestamptz)`);
  }
}
