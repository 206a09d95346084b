import { badInput } from '../errors.js';
import { refuseConverted, type ClaimantFacts } from '../facts.js';
import { lockedFacts } from '../facts.sql.js';
import { phaseTransaction, type Operation } from '../operation.js';
import { recordTransition } from '../queue/entry-writes.sql.js';
import { liveEntry } from '../queue/queue.sql.js';
import { takeOutOfQueue } from '../queue/queue-writes.service.js';
import { deactivateScore } from '../score/score.sql.js';
import type { Conversion } from './conversion.entity.js';
import { conversionAgents, insertConversion } from './conversion.sql.js';

export interface ConversionInput {
  conversionType: 'signature_and_documents' | 'manual' | 'call';
  reason?: string | null;
  claimValue?: number | null;
  estimatedCommission?: number | null;
}

function checkAmount(value: number | null | undefined, name: string): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isFinite(value) || value < 0 || value >= 1e10) throw badInput(`${name} must be a number from 0 to 9,999,999,999.99`);
  return Math.round(value * 100) / 100;
}

/**
 * A conversion: the claimant leaves every queue, its score is deactivated, and the record
 * keeps the attempts, the final score, the previous queue and the agents from its call sessions
 * (primary: the most sessions, the latest on a tie).
 */
export async function convertClaimant(op: Operation, userId: number, input: ConversionInput, knownFacts?: ClaimantFacts): Promise<Conversion> {
  const claimValue = checkAmount(input.claimValue, 'claimValue');
  const commission = checkAmount(input.estimatedCommission, 'estimatedCommission');
  const reason = input.reason?.trim().slice(0, 500) || null;
  return phaseTransaction(op, async (tx) => {
    const facts = knownFacts ?? (await lockedFacts(tx, userId));
    refuseConverted(facts);
    const live = await liveEntry(tx.em, tx.store, userId, true);
    // The conversion records its own transition below, with its type and reason.
    if (live) await takeOutOfQueue(tx, live, 'removed', 'converted', null);
    const agents = await conversionAgents(tx.em, userId);
    const previous = live?.queueType ?? facts.score?.currentQueueType ?? null;
    const conversion = await insertConversion(tx.em, {
      userId, previousQueueType: previous, conversionType: input.conversionType, reason,
      finalScore: facts.score?.currentScore ?? null, totalCallAttempts: facts.score?.totalAttempts ?? 0,
      lastCallAt: facts.score?.lastCallAt ?? null, agents, documentsReceived: facts.requirements.receivedTypes,
      signatureObtained: facts.claimant.signatureStatus === 'obtained', requirementsMet: facts.requirements.metTypes,
      claimValue, estimatedCommission: commission,
    });
    await deactivateScore(tx, userId);
    await recordTransition(tx, userId, previous, null, `converted (${input.conversionType})${reason ? `: ${reason}` : ''}`);
    await tx.events.publish(tx.em, { topic: 'conversionRecorded', conversionId: conversion.id });
    return conversion;
  });
}
