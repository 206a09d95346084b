import { queryOne, sql } from '../../db/sql.js';
import { convertClaimant } from '../conversion/convert.service.js';
import type { Conversion } from '../conversion/conversion.entity.js';
import { badInput, conflict, notFound } from '../errors.js';
import { inTransaction, type Operation } from '../operation.js';
import { isValidTimeZone } from '../queue/calling-window.js';
import type { QueueEntryRecord } from '../queue/queue-entry.js';
import { lockedFacts, moveEntry, refreshLiveEntry, refuseConverted, takeOutOfQueue } from '../queue/queue-writes.service.js';
import { deactivateScore, syncScore } from '../score/score.sql.js';
import type { Claimant, ClaimRequirement, SignatureType } from './claimant.entity.js';
import { toClaimant, toRequirement } from '../read-models.js';
import { entryDetailsFor, loadFacts } from './facts.js';

/** Claimant facts pushed by integrators, and the transitions and conversions they cause. */

export interface FactResult {
  claimant: Claimant;
  entry: QueueEntryRecord | null;
  conversion: Conversion | null;
}

export interface ClaimantInput {
  userId: number;
  claimId: string;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  timezone?: string | null;
  doNotCall?: boolean | null;
}

function checkText(value: string | null | undefined, name: string, max: number): string | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (text.length === 0 || text.length > max) throw badInput(`${name} must be 1–${max} characters`);
  return text;
}

export async function upsertClaimant(op: Operation, input: ClaimantInput): Promise<Claimant> {
  const claimId = checkText(input.claimId, 'claimId', 100)!;
  const firstName = checkText(input.firstName, 'firstName', 100);
  const lastName = checkText(input.lastName, 'lastName', 100);
  const phone = checkText(input.phone, 'phone', 30);
  if (phone && !/^\+?[0-9][0-9 ()-]{4,28}$/.test(phone)) throw badInput('phone must be digits, with an optional leading + and spaces, dashes or parentheses');
  const timezone = input.timezone ?? null;
  if (timezone !== null && !isValidTimeZone(timezone)) throw badInput(`timezone must be an IANA time zone such as America/Chicago, got "${timezone.slice(0, 60)}"`);
  return inTransaction(op, async (tx) => {
    // Fields left out keep their value; a new claimant starts with its signature missing.
    const row = await queryOne<Record<string, unknown>>(tx.em, sql`/* upsertClaimant */
      INSERT INTO claimants AS c (user_id, claim_id, first_name, last_name, phone, timezone, do_not_call, signature_missing_since)
      VALUES (${input.userId}, ${claimId}, ${firstName}, ${lastName}, ${phone}, coalesce(${timezone}::text, 'UTC'),
              coalesce(${input.doNotCall ?? null}::boolean, false), now())
      ON CONFLICT (user_id) DO UPDATE SET
        claim_id = EXCLUDED.claim_id,
        first_name = coalesce(${firstName}::text, c.first_name), last_name = coalesce(${lastName}::text, c.last_name),
        phone = coalesce(${phone}::text, c.phone), timezone = coalesce(${timezone}::text, c.timezone),
        do_not_call = coalesce(${input.doNotCall ?? null}::boolean, c.do_not_call), updated_at = now()
      RETURNING *`);
    const claimant = toClaimant(row!);
    await queryOne(tx.em, sql`INSERT INTO user_call_scores (user_id, current_queue_type)
      VALUES (${claimant.userId}, ${claimant.signatureStatus === 'missing' ? 'unsigned_users' : null}) ON CONFLICT (user_id) DO NOTHING`);
    if (claimant.doNotCall) {
      const live = await tx.queues.liveEntry(tx.em, claimant.userId, true);
      if (live) await takeOutOfQueue(tx, live, 'removed', 'do not call', 'do not call');
      await deactivateScore(tx, claimant.userId);
    }
    return claimant;
  });
}

const REQUIREMENT_TYPE = /^[a-z][a-z0-9_]{1,49}$/;

export async function addRequirement(
  op: Operation, input: { userId: number; requirementType: string; deadline?: Date | null },
): Promise<ClaimRequirement> {
  if (!REQUIREMENT_TYPE.test(input.requirementType)) {
    throw badInput('requirementType must be 2–50 lower-case letters, digits or underscores, starting with a letter (e.g. medical_records)');
  }
  if (input.deadline && input.deadline.getTime() < Date.now()) throw badInput('deadline must not be in the past');
  return inTransaction(op, async (tx) => {
    const facts = await lockedFacts(tx, input.userId);
    refuseConverted(facts);
    const row = await queryOne<Record<string, unknown>>(tx.em, sql`/* addRequirement */
      INSERT INTO claim_requirements (user_id, claim_id, requirement_type, deadline)
      VALUES (${input.userId}, ${facts.claimant.claimId}, ${input.requirementType}, ${input.deadline ?? null}) RETURNING *`);
    await refreshLiveEntry(tx, (await loadFacts(tx.em, input.userId, false))!);
    return toRequirement(row!);
  });
}

async function result(tx: Operation, userId: number, conversion: Conversion | null): Promise<FactResult> {
  const facts = (await loadFacts(tx.em, userId, false))!;
  return { claimant: facts.claimant, entry: await tx.queues.liveEntry(tx.em, userId, false), conversion };
}

export async function markRequirementReceived(op: Operation, requirementId: number): Promise<FactResult> {
  return inTransaction(op, async (tx) => {
    const owner = await queryOne<{ user_id: number }>(tx.em, sql`SELECT user_id FROM claim_requirements WHERE id = ${requirementId}`);
    if (!owner) throw notFound(`requirement ${requirementId} does not exist`);
    const facts = await lockedFacts(tx, owner.user_id);
    refuseConverted(facts);
    const requirement = await queryOne<{ status: string }>(tx.em, sql`SELECT status FROM claim_requirements WHERE id = ${requirementId} FOR UPDATE`);
    if (requirement!.status !== 'pending') throw conflict(`requirement ${requirementId} is already ${requirement!.status}`);
    await queryOne(tx.em, sql`UPDATE claim_requirements SET status = 'received', received_at = now(), updated_at = now() WHERE id = ${requirementId}`);
    const after = (await loadFacts(tx.em, owner.user_id, false))!;
    if (after.requirements.pending === 0 && after.claimant.signatureStatus === 'obtained') {
      const conversion = await convertClaimant(tx, owner.user_id, { conversionType: 'signature_and_documents', reason: 'last requirement received' }, after);
      return result(tx, owner.user_id, conversion);
    }
    await refreshLiveEntry(tx, after);
    return result(tx, owner.user_id, null);
  });
}

const SIGNATURE_TYPES: readonly SignatureType[] = ['initial', 'update', 'renewal'];

export async function recordSignature(op: Operation, userId: number, signatureType?: string | null): Promise<FactResult> {
  if (signatureType && !(SIGNATURE_TYPES as readonly string[]).includes(signatureType)) {
    throw badInput(`signatureType must be one of ${SIGNATURE_TYPES.join(', ')}`);
  }
  return inTransaction(op, async (tx) => {
    const facts = await lockedFacts(tx, userId);
    refuseConverted(facts);
    if (facts.claimant.signatureStatus === 'obtained') throw conflict(`the signature of claimant ${userId} is already recorded`);
    await queryOne(tx.em, sql`UPDATE claimants SET signature_status = 'obtained', signature_missing_since = NULL,
      signature_type = coalesce(${signatureType ?? null}::text, signature_type), updated_at = now() WHERE user_id = ${userId}`);
    const after = (await loadFacts(tx.em, userId, false))!;
    if (after.requirements.pending === 0) {
      const conversion = await convertClaimant(tx, userId, { conversionType: 'signature_and_documents', reason: 'signature obtained, nothing pending' }, after);
      return result(tx, userId, conversion);
    }
    const live = await tx.queues.liveEntry(tx.em, userId, true);
    if (live?.queueType === 'unsigned_users') {
      await moveEntry(tx, after, live, 'outstanding_requests', 'signature obtained');
    } else if (live) {
      await refreshLiveEntry(tx, after);
    } else {
      // Not queued now: the claimant belongs to the outstanding requests queue from here on.
      await syncScore(tx, userId, 'outstanding_requests', entryDetailsFor('outstanding_requests', after, null, new Date()).priorityScore);
    }
    return result(tx, userId, null);
  });
}
