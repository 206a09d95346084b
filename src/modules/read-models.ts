import type { EntityManager } from '@mikro-orm/postgresql';
import { rowMapper } from '../db/rows.js';
import { queryRows, sql } from '../db/sql.js';
import type { Agent } from './agent/agent.entity.js';
import type { Callback } from './callback/callback.entity.js';
import type { Claimant, ClaimRequirement } from './claimant/claimant.entity.js';
import type { Conversion } from './conversion/conversion.entity.js';
import type { UserCallScore } from './score/score.entity.js';

/**
 * Batch reads by id for the relations a dashboard walks; one statement per call. Plain
 * objects of the entity shapes (see db/rows.ts for why not the ORM here).
 */
const STAMPS = ['created_at', 'updated_at'];
const toAgent = rowMapper<Agent>(STAMPS);
export const toClaimant = rowMapper<Claimant>([...STAMPS, 'signature_missing_since', 'converted_at']);
const toScore = rowMapper<UserCallScore>([...STAMPS, 'last_queue_check', 'last_call_at', 'next_call_after']);
export const toCallback = rowMapper<Callback>([...STAMPS, 'scheduled_for', 'due_notified_at', 'closed_at']);
export const toRequirement = rowMapper<ClaimRequirement>([...STAMPS, 'deadline', 'received_at']);
export const toConversion = rowMapper<Conversion>(['converted_at', 'last_call_at', 'created_at']);

/* agentsByIds */
export async function agentsByIds(em: EntityManager, ids: readonly number[]): Promise<Agent[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`SELECT * FROM agents WHERE id = ANY(${[...ids]}::int[])`)).map(toAgent);
}

/* claimantsByIds */
export async function claimantsByIds(em: EntityManager, userIds: readonly number[]): Promise<Claimant[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`SELECT * FROM claimants WHERE user_id = ANY(${[...userIds]}::bigint[])`)).map(toClaimant);
}

/* scoresByUserIds: last_reset_date is a date, sent as text (YYYY-MM-DD), kept as text. */
export async function scoresByUserIds(em: EntityManager, userIds: readonly number[]): Promise<UserCallScore[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`SELECT * FROM user_call_scores WHERE user_id = ANY(${[...userIds]}::bigint[])`)).map(toScore);
}

/* callbacksByIds */
export async function callbacksByIds(em: EntityManager, ids: readonly number[]): Promise<Callback[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`SELECT * FROM callbacks WHERE id = ANY(${[...ids]}::bigint[])`)).map(toCallback);
}

/* requirementsByUserIds: oldest first. */
export async function requirementsByUserIds(em: EntityManager, userIds: readonly number[]): Promise<ClaimRequirement[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`
    SELECT * FROM claim_requirements WHERE user_id = ANY(${[...userIds]}::bigint[]) ORDER BY id`)).map(toRequirement);
}

/* conversionsByIds */
export async function conversionsByIds(em: EntityManager, ids: readonly number[]): Promise<Conversion[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`SELECT * FROM conversions WHERE id = ANY(${[...ids]}::bigint[])`)).map(toConversion);
}
