import type { TestDatabase } from './database.js';

/**
 * Chained seed builders over raw SQL, so tests state only what matters to them:
 *   const s = seed(db); const agent = await s.agent(); await s.claimant({ userId: 7 }).then(...)
 */
let nextUserId = 1000;

export interface ClaimantSeed {
  userId?: number;
  claimId?: string;
  timezone?: string;
  signatureStatus?: 'missing' | 'obtained';
  doNotCall?: boolean;
  score?: number;
  /** Call attempts made (the policy takes 150 points off each). */
  attempts?: number;
  /** Days since the signature went missing (default 3; 14 or more is urgent). */
  missingDays?: number;
  queueType?: 'unsigned_users' | 'outstanding_requests';
}

export interface EntrySeed {
  userId: number;
  queueType?: 'unsigned_users' | 'outstanding_requests';
  priorityScore?: number;
  status?: 'pending' | 'assigned' | 'completed' | 'removed';
  agentId?: number | null;
  availableFrom?: Date;
  callbackId?: number | null;
}

export function seed(db: TestDatabase) {
  return {
    async agent(name = `Agent ${Math.random().toString(36).slice(2, 7)}`): Promise<number> {
      const [row] = await db.sql(`INSERT INTO agents (name, email, status) VALUES ($1, $2, 'available') RETURNING id`,
        [name, `${name.replace(/\W/g, '').toLowerCase()}-${Math.random().toString(36).slice(2, 8)}@test`]);
      return row!.id;
    },

    /** A claimant with its score row. */
    async claimant(c: ClaimantSeed = {}): Promise<number> {
      const userId = c.userId ?? nextUserId++;
      const status = c.signatureStatus ?? 'missing';
      await db.sql(
        `INSERT INTO claimants (user_id, claim_id, first_name, last_name, phone, timezone, signature_status,
                                signature_missing_since, signature_type, do_not_call)
         VALUES ($1, $2, 'Test', 'Claimant', '+15550000000', $3, $4, CASE WHEN $4 = 'missing' THEN now() - make_interval(days => $6) END,
                 CASE WHEN $4 = 'missing' THEN 'initial' END, $5)`,
        [userId, c.claimId ?? `CLM-${userId}`, c.timezone ?? 'UTC', status, c.doNotCall ?? false, c.missingDays ?? 3]);
      await db.sql(`INSERT INTO user_call_scores (user_id, current_score, current_queue_type, total_attempts) VALUES ($1, $2, $3, $4)`,
        [userId, c.score ?? 500, c.queueType ?? (status === 'missing' ? 'unsigned_users' : 'outstanding_requests'), c.attempts ?? 0]);
      return userId;
    },

    async requirement(userId: number, type = 'medical_records', status = 'pending'): Promise<number> {
      const [row] = await db.sql(
        `INSERT INTO claim_requirements (user_id, claim_id, requirement_type, status, deadline)
         SELECT user_id, claim_id, $2, $3, now() + interval '10 days' FROM claimants WHERE user_id = $1 RETURNING id`,
        [userId, type, status]);
      return row!.id;
    },

    async entry(e: EntrySeed): Promise<number> {
      const table = (e.queueType ?? 'unsigned_users') === 'unsigned_users' ? 'unsigned_users_queue' : 'outstanding_requests_queue';
      const status = e.status ?? 'pending';
      const [row] = await db.sql(
        `INSERT INTO ${table} (user_id, claim_id, priority_score, status, assigned_to_agent_id, assigned_at, available_from, callback_id)
         SELECT user_id, claim_id, $2, $3, $4, CASE WHEN $3 = 'assigned' THEN now() END, $5, $6 FROM claimants WHERE user_id = $1
         RETURNING id`,
        [e.userId, e.priorityScore ?? 500, status, e.agentId ?? null, e.availableFrom ?? new Date(Date.now() - 60_000), e.callbackId ?? null]);
      return row!.id;
    },

    async callback(userId: number, scheduledFor: Date, agentId: number | null = null, status = 'pending'): Promise<number> {
      const [row] = await db.sql(
        `INSERT INTO callbacks (user_id, agent_id, scheduled_for, reason, queue_type, status) VALUES ($1, $2, $3, 'asked', 'unsigned_users', $4) RETURNING id`,
        [userId, agentId, scheduledFor, status]);
      return row!.id;
    },

    /** n claimants with pending entries in one statement (for volume tests). */
    async bulkEntries(queueType: 'unsigned_users' | 'outstanding_requests', n: number, agentIds: number[] = []): Promise<void> {
      const first = nextUserId;
      nextUserId += n;
      const table = queueType === 'unsigned_users' ? 'unsigned_users_queue' : 'outstanding_requests_queue';
      await db.sql(
        `INSERT INTO claimants (user_id, claim_id, timezone, signature_status)
         SELECT $1 + g, 'CLM-' || ($1 + g), 'UTC', CASE WHEN $3 = 'unsigned_users' THEN 'missing' ELSE 'obtained' END
           FROM generate_series(0, $2 - 1) g`, [first, n, queueType]);
      await db.sql(`INSERT INTO user_call_scores (user_id, current_score, current_queue_type)
                    SELECT $1 + g, (g * 37) % 9000, $3 FROM generate_series(0, $2 - 1) g`, [first, n, queueType]);
      await db.sql(
        `INSERT INTO ${table} (user_id, claim_id, priority_score, status, assigned_to_agent_id, assigned_at, available_from, callback_id)
         SELECT $1 + g, 'CLM-' || ($1 + g), CASE WHEN g < cardinality($3::int[]) THEN 9000 + g ELSE (g * 37) % 9000 END,
                CASE WHEN g < cardinality($3::int[]) THEN 'assigned' ELSE 'pending' END,
                CASE WHEN g < cardinality($3::int[]) THEN ($3::int[])[g + 1] END,
                CASE WHEN g < cardinality($3::int[]) THEN now() END,
                now() - interval '1 minute', NULL
           FROM generate_series(0, $2 - 1) g`, [first, n, agentIds]);
      if (agentIds.length > 0) {
        await db.sql(`INSERT INTO callbacks (user_id, scheduled_for, reason, queue_type)
                      SELECT $1 + g, now() + interval '1 hour', 'seeded', $3 FROM generate_series(0, $2 - 1) g`,
          [first, Math.min(n, 50), queueType]);
        await db.sql(`UPDATE ${table} e SET callback_id = c.id FROM callbacks c WHERE c.user_id = e.user_id`);
      }
    },
  };
}
