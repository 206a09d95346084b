import type { EntityManager } from '@mikro-orm/postgresql';
import { rowMapper } from '../../db/rows.js';
import { queryOne, queryRows, sql } from '../../db/sql.js';
import type { Role } from './roles.js';

/** An API key as admins list it: never the key or its hash. */
export interface ApiKeyRecord {
  id: number;
  keyPrefix: string;
  label: string | null;
  role: Role;
  agentId: number | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  rotatedFrom: number | null;
  /** Reads claimants' personal data unmasked (INTEGRATOR and VIEWER keys made with personalData). */
  personalData: boolean;
}

export interface ApiKeyEvent {
  id: number;
  keyId: number;
  action: 'created' | 'revoked' | 'rotated';
  actor: string;
  reason: string | null;
  at: Date;
}

const COLUMNS = sql`id, key_prefix, label, role, agent_id, created_at, last_used_at, expires_at, revoked_at, rotated_from, personal_data`;
export const toKeyRecord = rowMapper<ApiKeyRecord>(['created_at', 'last_used_at', 'expires_at', 'revoked_at']);
const toKeyEvent = rowMapper<ApiKeyEvent>(['at']);

/* apiKeyByHash: a usable key (not revoked, not expired) by the hash of what was presented. */
export async function apiKeyByHash(em: EntityManager, hash: string): Promise<{ id: number; role: Role; agent_id: number | null; expires_at: string | null; personal_data: boolean } | null> {
  return (await queryOne<{ id: number; role: Role; agent_id: number | null; expires_at: string | null; personal_data: boolean }>(em, sql`/* apiKeyByHash */
    SELECT id, role, agent_id, expires_at, personal_data FROM api_keys
     WHERE key_hash = ${hash} AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`)) ?? null;
}

/*
 * lockFirstAdminKey: instances starting together serialise on this transaction-scoped lock, so
 * one creates the first key and the others see it.
 */
export async function lockFirstAdminKey(em: EntityManager): Promise<void> {
  await queryRows(em, sql`/* lockFirstAdminKey */ SELECT pg_advisory_xact_lock(hashtext('callqueue.first-admin-key'))`);
}

/* insertApiKey */
export async function insertApiKey(
  em: EntityManager, k: { hash: string; prefix: string; role: Role; agentId: number | null; label: string | null; expiresAt: Date | null; rotatedFrom: number | null; personalData: boolean },
): Promise<ApiKeyRecord> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* insertApiKey */
    INSERT INTO api_keys (key_hash, key_prefix, role, agent_id, label, expires_at, rotated_from, personal_data)
    VALUES (${k.hash}, ${k.prefix}, ${k.role}, ${k.agentId}, ${k.label}, ${k.expiresAt}, ${k.rotatedFrom}, ${k.personalData})
    RETURNING ${COLUMNS}`);
  return toKeyRecord(row!);
}

/* listApiKeys: newest first. */
export async function listApiKeys(em: EntityManager, includeRevoked: boolean): Promise<ApiKeyRecord[]> {
  return (await queryRows<Record<string, unknown>>(em, includeRevoked
    ? sql`/* listApiKeys */ SELECT ${COLUMNS} FROM api_keys ORDER BY id DESC`
    : sql`/* listUsableApiKeys */ SELECT ${COLUMNS} FROM api_keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) ORDER BY id DESC`,
  )).map(toKeyRecord);
}

/* lockApiKey: a key row FOR UPDATE (a revoke or rotate of it waits for another). */
export async function lockApiKey(em: EntityManager, id: number): Promise<ApiKeyRecord | null> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* lockApiKey */ SELECT ${COLUMNS} FROM api_keys WHERE id = ${id} FOR UPDATE`);
  return row ? toKeyRecord(row) : null;
}

/*
 * lockUsableAdminKeys: every usable ADMIN key, locked, so two revocations of the last two cannot
 * both pass the "another ADMIN key remains" check.
 */
export async function lockUsableAdminKeys(em: EntityManager): Promise<number[]> {
  const rows = await queryRows<{ id: number }>(em, sql`/* lockUsableAdminKeys */
    SELECT id FROM api_keys WHERE role = 'ADMIN' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) ORDER BY id FOR UPDATE`);
  return rows.map((r) => Number(r.id));
}

/* revokeApiKey */
export async function markRevoked(em: EntityManager, id: number): Promise<ApiKeyRecord> {
  return toKeyRecord((await queryOne<Record<string, unknown>>(em, sql`/* revokeApiKey */
    UPDATE api_keys SET revoked_at = now() WHERE id = ${id} RETURNING ${COLUMNS}`))!);
}

/* expireApiKey: no later than `at` (a rotated key's grace end). */
export async function expireNoLaterThan(em: EntityManager, id: number, at: Date): Promise<void> {
  await queryRows(em, sql`/* expireApiKey */
    UPDATE api_keys SET expires_at = ${at} WHERE id = ${id} AND (expires_at IS NULL OR expires_at > ${at})`);
}

/* recordKeyEvent */
export async function recordKeyEvent(em: EntityManager, keyId: number, action: ApiKeyEvent['action'], actor: string, reason: string | null): Promise<void> {
  await queryRows(em, sql`/* recordKeyEvent */
    INSERT INTO api_key_events (key_id, action, actor, reason) VALUES (${keyId}, ${action}, ${actor}, ${reason})`);
}

/* apiKeyEvents: newest first. */
export async function listKeyEvents(em: EntityManager, keyId: number | null, limit: number): Promise<ApiKeyEvent[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* apiKeyEvents */
    SELECT * FROM api_key_events WHERE ${keyId}::bigint IS NULL OR key_id = ${keyId} ORDER BY at DESC, id DESC LIMIT ${limit}`)).map(toKeyEvent);
}

/*
 * touchApiKey: last_used_at, at most once a minute per key whatever the instances (the WHERE
 * makes a second writer within the minute a no-op).
 */
export async function touchApiKey(em: EntityManager, id: number): Promise<void> {
  await queryRows(em, sql`/* touchApiKey */
    UPDATE api_keys SET last_used_at = now() WHERE id = ${id} AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`);
}
