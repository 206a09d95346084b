import { queryOne, queryRows, sql } from '../../db/sql.js';
import type { ClaimantFacts } from '../claimant/facts.js';
import { badInput } from '../errors.js';
import { inTransaction, recordTransition, type Operation } from '../operation.js';
import { lockedFacts, refuseConverted, takeOutOfQueue } from '../queue/queue-writes.service.js';
import { deactivateScore } from '../score/score.sql.js';
import { toConversion } from '../read-models.js';
import type { Conversion } from './conversion.entity.js';

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
  return inTransaction(op, async (tx) => {
    const facts = knownFacts ?? (await lockedFacts(tx, userId));
    refuseConverted(facts);
    const live = await tx.queues.liveEntry(tx.em, userId, true);
    // The conversion records its own transition below, with its type and reason.
    if (live) await takeOutOfQueue(tx, live, 'removed', 'converted', null);
    const agents = await queryRows<{ agent_id: number }>(tx.em, sql`/* conversionAgents */
      SELECT agent_id FROM call_sessions WHERE user_id = ${userId}
       GROUP BY agent_id ORDER BY count(*) DESC, max(started_at) DESC, agent_id`);
    const previous = live?.queueType ?? facts.score?.currentQueueType ?? null;
    const row = await queryOne<Record<string, unknown>>(tx.em, sql`/* insertConversion */
      INSERT INTO conversions (user_id, previous_queue_type, conversion_type, conversion_reason, final_score,
        total_call_attempts, last_call_at, primary_agent_id, contributing_agents, documents_received,
        signature_obtained, requirements_met, claim_value, estimated_commission)
      VALUES (${userId}, ${previous}, ${input.conversionType}, ${reason}, ${facts.score?.currentScore ?? null},
        ${facts.score?.totalAttempts ?? 0}, ${facts.score?.lastCallAt ?? null}, ${agents[0]?.agent_id ?? null},
        ${JSON.stringify(agents.map((a) => a.agent_id))}::jsonb, ${JSON.stringify(facts.requirements.receivedTypes)}::jsonb,
        ${facts.claimant.signatureStatus === 'obtained'}, ${JSON.stringify(facts.requirements.metTypes)}::jsonb,
        ${claimValue}, ${commission})
      RETURNING *`);
    await queryRows(tx.em, sql`UPDATE claimants SET converted_at = now(), updated_at = now() WHERE user_id = ${userId}`);
    await deactivateScore(tx, userId);
    await recordTransition(tx, userId, previous, null, `converted (${input.conversionType})${reason ? `: ${reason}` : ''}`);
    const conversion = toConversion(row!);
    await tx.events.publish(tx.em, { topic: 'conversionRecorded', conversionId: conversion.id });
    return conversion;
  });
}
