import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, queryRows, sql } from '../../db/sql.js';
import { toEntryRecord, type EntryRow, type QueueEntryRecord } from './queue-entry.js';
import { selectEntry } from './queue.sql.js';
import { QUEUE_TYPES, type QueueStore } from '../queue-type.js';

/*
 * The statements of assignment leases (one row per assigned entry, keyed by entry id). Lock
 * order, as everywhere: the entry first, then its lease row.
 */
export interface Lease {
  entryId: number;
  agentId: number;
  expiresAt: Date;
  lapsedAt: Date | null;
}

function toLease(row: Record<string, unknown>): Lease {
  return {
    entryId: Number(row.entry_id), agentId: Number(row.agent_id),
    expiresAt: new Date(row.expires_at as string), lapsedAt: row.lapsed_at ? new Date(row.lapsed_at as string) : null,
  };
}

/* renewLease: the holder's lease runs `seconds` from now again (a lease row is made if the assignment had none). */
export async function renewLease(em: EntityManager, entry: QueueEntryRecord, seconds: number): Promise<Date> {
  const row = await queryOne<{ expires_at: string }>(em, sql`/* renewLease */
    INSERT INTO assignment_leases (entry_id, agent_id, assigned_at, expires_at)
    VALUES (${entry.id}, ${entry.assignedToAgentId}, coalesce(${entry.assignedAt}::timestamptz, now()), now() + make_interval(secs => ${seconds}))
    ON CONFLICT (entry_id) DO UPDATE SET expires_at = EXCLUDED.expires_at, lapsed_at = NULL, agent_id = EXCLUDED.agent_id
    RETURNING expires_at`);
  return new Date(row!.expires_at);
}

/* dueLeases: leases past their end, oldest first; read without locks (each is then locked entry first). */
export async function dueLeases(em: EntityManager, limit: number): Promise<Lease[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* dueLeases */
    SELECT * FROM assignment_leases WHERE lapsed_at IS NULL AND expires_at <= now() ORDER BY expires_at LIMIT ${limit}`)).map(toLease);
}

/*
 * lockEntryIfFree: the entry locked, or null when another transaction holds it (an outcome in
 * progress, another instance's lease job) or it does not exist: the lease job passes it by.
 */
export async function lockEntryIfFree(em: EntityManager, store: QueueStore, id: number): Promise<QueueEntryRecord | null> {
  for (const t of QUEUE_TYPES) {
    const row = await queryOne<EntryRow>(em, sql`/* lockEntryIfFree */ ${selectEntry(store, t)} WHERE e.id = ${id} FOR UPDATE SKIP LOCKED`);
    if (row) return toEntryRecord(row);
  }
  return null;
}

/* lockLease: after its entry. */
export async function lockLease(em: EntityManager, entryId: number): Promise<Lease | null> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* lockLease */ SELECT * FROM assignment_leases WHERE entry_id = ${entryId} FOR UPDATE`);
  return row ? toLease(row) : null;
}

/* endLease: lapsed (kept, so the agent who lost it is told why) or dropped (its assignment ended another way). */
export async function endLease(em: EntityManager, entryId: number, how: 'lapsed' | 'dropped'): Promise<void> {
  await queryRows(em, how === 'lapsed'
    ? sql`/* lapseLease */ UPDATE assignment_leases SET lapsed_at = now() WHERE entry_id = ${entryId}`
    : sql`/* dropLease */ DELETE FROM assignment_leases WHERE entry_id = ${entryId}`);
}

/* extendLease: an agent on a call keeps the entry. */
export async function extendLease(em: EntityManager, entryId: number, seconds: number): Promise<void> {
  await queryRows(em, sql`/* extendLease */
    UPDATE assignment_leases SET expires_at = now() + make_interval(secs => ${seconds}) WHERE entry_id = ${entryId}`);
}

/* onCall: whether the claimant has an active call session. */
export async function onCall(em: EntityManager, userId: number): Promise<boolean> {
  return (await queryOne<{ on: boolean }>(em, sql`/* claimantOnCall */
    SELECT EXISTS (SELECT 1 FROM call_sessions WHERE user_id = ${userId} AND status = 'active') AS on`))!.on;
}

/* leasesByEntries: the running leases of the given entries (for leaseExpiresAt). */
export async function leasesByEntries(em: EntityManager, ids: readonly number[]): Promise<Lease[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* leasesByEntries */
    SELECT * FROM assignment_leases WHERE entry_id = ANY(${[...ids]}::bigint[]) AND lapsed_at IS NULL`)).map(toLease);
}
