import { badInput } from '../errors.js';
import type { Operation } from '../operation.js';
import type { Conversion } from './conversion.entity.js';
import { recordConversion } from './conversion.sql.js';

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
 * (primary: the most sessions, the latest on a tie). One statement, migration 0021's
 * callqueue_convert (a CONVERTED call outcome runs it too), inside the caller's transaction when
 * there is one.
 */
export async function convertClaimant(op: Operation, userId: number, input: ConversionInput): Promise<Conversion> {
  const claimValue = checkAmount(input.claimValue, 'claimValue');
  const commission = checkAmount(input.estimatedCommission, 'estimatedCommission');
  const reason = input.reason?.trim().slice(0, 500) || null;
  return recordConversion(op.em, userId, { conversionType: input.conversionType, reason, claimValue, estimatedCommission: commission }, op.actor);
}
