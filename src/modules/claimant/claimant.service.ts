import { convertClaimant } from '../conversion/convert.service.js';
import type { Conversion } from '../conversion/conversion.entity.js';
import { badInput, conflict, notFound } from '../errors.js';
import { refuseConverted } from '../facts.js';
import { loadFacts, lockedFacts } from '../facts.sql.js';
import { phaseTransaction, type Operation } from '../operation.js';
import { isValidTimeZone } from '../queue/calling-window.js';
import { entryDetailsFor } from '../queue/entry-details.js';
import type { QueueEntryRecord } from '../queue/queue-entry.js';
import { liveEntry } from '../queue/queue.sql.js';
import { moveEntry, refreshLiveEntry, takeOutOfQueue } from '../queue/queue-writes.service.js';
import { deactivateScore, ensureScore, syncScore } from '../score/score.sql.js';
import type { Claimant, ClaimRequirement, SignatureType } from './claimant.entity.js';
import {
  insertRequirement, lockRequirementStatus, markReceived, markSigned, requirementOwner, upsertClaimantRow,
} from './claimant.sql.js';

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
  return phaseTransaction(op, async (tx) => {
    const claimant = await upsertClaimantRow(tx.em, {
      userId: input.userId, claimId, firstName, lastName, phone, timezone, doNotCall: input.doNotCall ?? null,
    });
    await ensureScore(tx.em, claimant.userId, claimant.signatureStatus === 'missing' ? 'unsigned_users' : null);
    if (claimant.doNotCall) {
      const live = await liveEntry(tx.em, tx.store, claimant.userId, true);
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
  return phaseTransaction(op, async (tx) => {
    const facts = await lockedFacts(tx, input.userId);
    refuseConverted(facts);
    const requirement = await insertRequirement(tx.em, {
      userId: input.userId, claimId: facts.claimant.claimId, requirementType: input.requirementType, deadline: input.deadline ?? null,
    });
    await refreshLiveEntry(tx, (await loadFacts(tx.em, input.userId, false))!);
    return requirement;
  });
}

async function result(tx: Operation, userId: number, conversion: Conversion | null): Promise<FactResult> {
  const facts = (await loadFacts(tx.em, userId, false))!;
  return { claimant: facts.claimant, entry: await liveEntry(tx.em, tx.store, userId, false), conversion };
}

export async function markRequirementReceived(op: Operation, requirementId: number): Promise<FactResult> {
  return phaseTransaction(op, async (tx) => {
    const owner = await requirementOwner(tx.em, requirementId);
    if (owner === null) throw notFound(`requirement ${requirementId} does not exist`);
    const facts = await lockedFacts(tx, owner);
    refuseConverted(facts);
    const status = await lockRequirementStatus(tx.em, requirementId);
    if (status !== 'pending') throw conflict(`requirement ${requirementId} is already ${status}`);
    await markReceived(tx.em, requirementId);
    const after = (await loadFacts(tx.em, owner, false))!;
    if (after.requirements.pending === 0 && after.claimant.signatureStatus === 'obtained') {
      const conversion = await convertClaimant(tx, owner, { conversionType: 'signature_and_documents', reason: 'last requirement received' });
      return result(tx, owner, conversion);
    }
    await refreshLiveEntry(tx, after);
    return result(tx, owner, null);
  });
}

const SIGNATURE_TYPES: readonly SignatureType[] = ['initial', 'update', 'renewal'];

export async function recordSignature(op: Operation, userId: number, signatureType?: string | null): Promise<FactResult> {
  if (signatureType && !(SIGNATURE_TYPES as readonly string[]).includes(signatureType)) {
    throw badInput(`signatureType must be one of ${SIGNATURE_TYPES.join(', ')}`);
  }
  return phaseTransaction(op, async (tx) => {
    const facts = await lockedFacts(tx, userId);
    refuseConverted(facts);
    if (facts.claimant.signatureStatus === 'obtained') throw conflict(`the signature of claimant ${userId} is already recorded`);
    await markSigned(tx.em, userId, signatureType ?? null);
    const after = (await loadFacts(tx.em, userId, false))!;
    if (after.requirements.pending === 0) {
      const conversion = await convertClaimant(tx, userId, { conversionType: 'signature_and_documents', reason: 'signature obtained, nothing pending' });
      return result(tx, userId, conversion);
    }
    const live = await liveEntry(tx.em, tx.store, userId, true);
    if (live?.queueType === 'unsigned_users') {
      await moveEntry(tx, after, live, 'outstanding_requests', 'signature obtained');
    } else if (live) {
      await refreshLiveEntry(tx, after);
    } else {
      // Not queued now: the claimant belongs to the outstanding requests queue from here on.
      const now = new Date();
      await syncScore(tx, userId, 'outstanding_requests', entryDetailsFor('outstanding_requests', after, null, now).priorityScore, now);
    }
    return result(tx, userId, null);
  });
}
