import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { seed } from '../support/seed.js';

/** The invariants of the data model (README, "The data model and its invariants"): each holds against raw SQL, not only through the API. */
let db: TestDatabase;
let s: ReturnType<typeof seed>;
let agent: number;

beforeAll(async () => {
  db = await createTestDatabase();
  s = seed(db);
  agent = await s.agent();
});
afterAll(() => db.drop());

async function expectRefused(text: string, params: unknown[], pattern: RegExp): Promise<void> {
  await expect(db.sql(text, params)).rejects.toThrow(pattern);
}

describe('1. one live entry per claimant across both queues', () => {
  it('refuses a second live entry in the other queue', async () => {
    const user = await s.claimant();
    await s.entry({ userId: user, queueType: 'unsigned_users' });
    await expectRefused(
      `INSERT INTO outstanding_requests_queue (user_id, claim_id, priority_score) VALUES ($1, 'c', 1)`, [user],
      /already has a live entry in unsigned_users/);
  });

  it('refuses a second live entry in the same queue', async () => {
    const user = await s.claimant();
    await s.entry({ userId: user });
    await expectRefused(`INSERT INTO unsigned_users_queue (user_id, claim_id, priority_score) VALUES ($1, 'c', 1)`, [user], /live_user_idx|live entry/);
  });

  it('refuses a many-row insert in which one claimant is live elsewhere, naming it, and keeps none of its rows', async () => {
    const [free, held, alsoFree] = [await s.claimant(), await s.claimant(), await s.claimant()];
    await s.entry({ userId: held, queueType: 'outstanding_requests' });
    await expectRefused(`INSERT INTO unsigned_users_queue (user_id, claim_id, priority_score)
      SELECT u, 'c', 1 FROM unnest($1::bigint[]) u`, [[free, held, alsoFree]], new RegExp(`claimant ${held} already has a live entry in outstanding_requests`));
    const slots = await db.sql(`SELECT user_id FROM queue_live_claimants WHERE user_id = ANY($1::bigint[]) ORDER BY user_id`, [[free, held, alsoFree]]);
    expect(slots.map((r) => Number(r.user_id))).toEqual([held]);
    // The same rows without the held claimant go in, each with its slot.
    await db.sql(`INSERT INTO unsigned_users_queue (user_id, claim_id, priority_score) SELECT u, 'c', 1 FROM unnest($1::bigint[]) u`, [[free, alsoFree]]);
    const taken = await db.sql(`SELECT user_id, queue_type FROM queue_live_claimants WHERE user_id = ANY($1::bigint[]) ORDER BY user_id`, [[free, alsoFree]]);
    expect(taken.map((r) => r.queue_type)).toEqual(['unsigned_users', 'unsigned_users']);
  });

  it('refuses reviving an old entry while another is live', async () => {
    const user = await s.claimant();
    const old = await s.entry({ userId: user, queueType: 'outstanding_requests', status: 'completed' });
    await s.entry({ userId: user, queueType: 'unsigned_users' });
    await expectRefused(`UPDATE outstanding_requests_queue SET status = 'pending' WHERE id = $1`, [old], /live entry/);
  });

  it('allows a new entry once the old one is closed, and any number of closed ones', async () => {
    const user = await s.claimant();
    const first = await s.entry({ userId: user, queueType: 'unsigned_users' });
    await db.sql(`UPDATE unsigned_users_queue SET status = 'removed' WHERE id = $1`, [first]);
    await s.entry({ userId: user, queueType: 'outstanding_requests', status: 'completed' });
    await s.entry({ userId: user, queueType: 'outstanding_requests' });
    const [live] = await db.sql(`SELECT queue_type FROM queue_live_claimants WHERE user_id = $1`, [user]);
    expect(live!.queue_type).toBe('outstanding_requests');
  });

  it('lets exactly one of two concurrent transactions enqueue the same claimant in different queues', async () => {
    const user = await s.claimant();
    const [a, b] = [await db.connect(), await db.connect()];
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      await a.query(`INSERT INTO unsigned_users_queue (user_id, claim_id, priority_score) VALUES ($1, 'c', 1)`, [user]);
      // b blocks on a's uncommitted slot, then fails when a commits.
      const second = b.query(`INSERT INTO outstanding_requests_queue (user_id, claim_id, priority_score) VALUES ($1, 'c', 1)`, [user])
        .then(() => 'inserted', (e: Error) => e.message);
      await a.query('COMMIT');
      expect(await second).toMatch(/already has a live entry/);
      await b.query('ROLLBACK');
    } finally {
      await a.end();
      await b.end();
    }
    const live = await db.sql(
      `SELECT count(*)::int AS n FROM (SELECT user_id FROM unsigned_users_queue WHERE user_id = $1 AND status IN ('pending','assigned')
        UNION ALL SELECT user_id FROM outstanding_requests_queue WHERE user_id = $1 AND status IN ('pending','assigned')) x`, [user]);
    expect(live[0]!.n).toBe(1);
  });
});

describe('2. ranges', () => {
  it.each([
    [`UPDATE unsigned_users_queue SET priority_score = 10000 WHERE user_id = $1`, /priority_score_check/],
    [`UPDATE unsigned_users_queue SET priority_score = -1 WHERE user_id = $1`, /priority_score_check/],
    [`UPDATE user_call_scores SET current_score = 10000 WHERE user_id = $1`, /current_score_check/],
    [`UPDATE user_call_scores SET current_score = -5 WHERE user_id = $1`, /current_score_check/],
  ])('refuses %s', async (statement, pattern) => {
    const user = await s.claimant();
    await s.entry({ userId: user });
    await expectRefused(statement, [user], pattern);
  });

  it('refuses an escalation level above 2 and more pending than total requirements', async () => {
    const user = await s.claimant({ signatureStatus: 'obtained' });
    const entry = await s.entry({ userId: user, queueType: 'outstanding_requests' });
    await expectRefused(`UPDATE outstanding_requests_queue SET escalation_level = 3 WHERE id = $1`, [entry], /escalation_level_check/);
    await expectRefused(`UPDATE outstanding_requests_queue SET total_requirements = 1, pending_requirements = 2 WHERE id = $1`, [entry],
      /pending_within_total/);
  });
});

describe('3. references', () => {
  it('refuses an entry assigned to an agent that does not exist', async () => {
    const user = await s.claimant();
    const entry = await s.entry({ userId: user });
    await expectRefused(`UPDATE unsigned_users_queue SET status = 'assigned', assigned_to_agent_id = 999999, assigned_at = now() WHERE id = $1`,
      [entry], /foreign key/);
  });

  it('refuses a session of an unknown agent or pointing at a missing queue entry', async () => {
    const user = await s.claimant();
    await expectRefused(`INSERT INTO call_sessions (user_id, agent_id) VALUES ($1, 999999)`, [user], /foreign key/);
    await expectRefused(`INSERT INTO call_sessions (user_id, agent_id, queue_type, queue_entry_id) VALUES ($1, $2, 'unsigned_users', 987654)`,
      [user, agent], /queue entry 987654 of unsigned_users, which does not exist/);
  });

  it('accepts a session on an existing entry and then refuses deleting that entry', async () => {
    const user = await s.claimant();
    const entry = await s.entry({ userId: user });
    await db.sql(`INSERT INTO call_sessions (user_id, agent_id, queue_type, queue_entry_id, status) VALUES ($1, $2, 'unsigned_users', $3, 'completed')`,
      [user, agent, entry]);
    await expectRefused(`DELETE FROM unsigned_users_queue WHERE id = $1`, [entry], /referenced by a call session/);
  });
});

describe('4. assignment consistency', () => {
  it('refuses an assigned entry without agent or time, and a pending entry with an agent', async () => {
    const user = await s.claimant();
    const entry = await s.entry({ userId: user });
    await expectRefused(`UPDATE unsigned_users_queue SET status = 'assigned' WHERE id = $1`, [entry], /entry_assignment_consistent/);
    await expectRefused(`UPDATE unsigned_users_queue SET status = 'assigned', assigned_to_agent_id = $2 WHERE id = $1`, [entry, agent],
      /entry_assignment_consistent/);
    await expectRefused(`UPDATE unsigned_users_queue SET assigned_to_agent_id = $2 WHERE id = $1`, [entry, agent], /entry_assignment_consistent/);
    await db.sql(`UPDATE unsigned_users_queue SET status = 'assigned', assigned_to_agent_id = $2, assigned_at = now() WHERE id = $1`, [entry, agent]);
  });
});

describe('5. one active call per claimant', () => {
  it('refuses a second active session, allows it once the first ended', async () => {
    const user = await s.claimant();
    await db.sql(`INSERT INTO call_sessions (user_id, agent_id) VALUES ($1, $2)`, [user, agent]);
    await expectRefused(`INSERT INTO call_sessions (user_id, agent_id) VALUES ($1, $2)`, [user, agent], /call_sessions_one_active_per_claimant/);
    await db.sql(`UPDATE call_sessions SET status = 'completed', ended_at = now() WHERE user_id = $1`, [user]);
    await db.sql(`INSERT INTO call_sessions (user_id, agent_id) VALUES ($1, $2)`, [user, agent]);
  });
});

describe('API keys', () => {
  it('an AGENT key names an agent and other roles do not', async () => {
    await expectRefused(`INSERT INTO api_keys (key_hash, key_prefix, role) VALUES ('h1', 'p', 'AGENT')`, [], /agent_key_names_agent/);
    await expectRefused(`INSERT INTO api_keys (key_hash, key_prefix, role, agent_id) VALUES ('h2', 'p', 'VIEWER', $1)`, [agent], /agent_key_names_agent/);
  });
});
