import type { EntityManager } from '@mikro-orm/postgresql';
import { rowMapper, STAMPS } from '../../db/rows.js';
import { queryOne, queryRows, sql } from '../../db/sql.js';
import type { Claimant, ClaimRequirement } from './claimant.entity.js';

export const toClaimant = rowMapper<Claimant>([...STAMPS, 'signature_missing_since', 'converted_at', 'erased_at']);
export const toRequirement = rowMapper<ClaimRequirement>([...STAMPS, 'deadline', 'received_at']);

/* claimantsByIds */
export async function claimantsByIds(em: EntityManager, userIds: readonly number[]): Promise<Claimant[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* claimantsByIds */
    SELECT * FROM claimants WHERE user_id = ANY(${[...userIds]}::bigint[])`)).map(toClaimant);
}

/* requirementsByUserIds: oldest first. */
export async function requirementsByUserIds(em: EntityManager, userIds: readonly number[]): Promise<ClaimRequirement[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* requirementsByUserIds */
    SELECT * FROM claim_requirements WHERE user_id = ANY(${[...userIds]}::bigint[]) ORDER BY id`)).map(toRequirement);
}

export interface ClaimantFields {
  userId: number;
  claimId: string;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  timezone: string | null;
  doNotCall: boolean | null;
}

/* upsertClaimant: fields given as null keep their value; a new claimant starts with its signature missing. */
export async function upsertClaimantRow(em: EntityManager, f: ClaimantFields): Promise<Claimant> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* upsertClaimant */
    INSERT INTO claimants AS c (user_id, claim_id, first_name, last_name, phone, timezone, do_not_call, signature_missing_since)
    VALUES (${f.userId}, ${f.claimId}, ${f.firstName}, ${f.lastName}, ${f.phone}, coalesce(${f.timezone}::text, 'UTC'),
            coalesce(${f.doNotCall}::boolean, false), now())
    ON CONFLICT (user_id) DO UPDATE SET
      claim_id = EXCLUDED.claim_id,
      first_name = coalesce(${f.firstName}::text, c.first_name), last_name = coalesce(${f.lastName}::text, c.last_name),
      phone = coalesce(${f.phone}::text, c.phone), timezone = coalesce(${f.timezone}::text, c.timezone),
      do_not_call = coalesce(${f.doNotCall}::boolean, c.do_not_call), updated_at = now()
    RETURNING *`);
  return toClaimant(row!);
}

/* addRequirement */
export async function insertRequirement(
  em: EntityManager, r: { userId: number; claimId: string; requirementType: string; deadline: Date | null },
): Promise<ClaimRequirement> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* addRequirement */
    INSERT INTO claim_requirements (user_id, claim_id, requirement_type, deadline)
    VALUES (${r.userId}, ${r.claimId}, ${r.requirementType}, ${r.deadline}) RETURNING *`);
  return toRequirement(row!);
}

/* requirementOwner: whose requirement this is (read before the claimant is locked). */
export async function requirementOwner(em: EntityManager, requirementId: number): Promise<number | null> {
  const row = await queryOne<{ user_id: number }>(em, sql`/* requirementOwner */ SELECT user_id FROM claim_requirements WHERE id = ${requirementId}`);
  return row?.user_id ?? null;
}

/* lockRequirementStatus: after its claimant is locked (the lock order of fact writes). */
export async function lockRequirementStatus(em: EntityManager, requirementId: number): Promise<string> {
  const row = await queryOne<{ status: string }>(em, sql`/* lockRequirement */ SELECT status FROM claim_requirements WHERE id = ${requirementId} FOR UPDATE`);
  return row!.status;
}

/* markRequirementReceived */
export async function markReceived(em: EntityManager, requirementId: number): Promise<void> {
  await queryOne(em, sql`/* markRequirementReceived */
    UPDATE claim_requirements SET status = 'received', received_at = now(), updated_at = now() WHERE id = ${requirementId}`);
}

/* recordSignature: the signature is obtained; the type is kept when none is given. */
export async function markSigned(em: EntityManager, userId: number, signatureType: string | null): Promise<void> {
  await queryOne(em, sql`/* recordSignature */ UPDATE claimants SET signature_status = 'obtained', signature_missing_since = NULL,
    signature_type = coalesce(${signatureType}::text, signature_type), updated_at = now() WHERE user_id = ${userId}`);
}

