import { EntitySchema } from '@mikro-orm/core';
import { bigintCol, bigintId, bool, int, json, text, time } from '../../db/columns.js';
import type { QueueType } from '../queue-type.js';

/** The record of a claimant who signed and delivered everything: it leaves every queue. */
export interface Conversion {
  id: number;
  userId: number;
  previousQueueType: QueueType | null;
  conversionType: string;
  conversionReason: string | null;
  finalScore: number | null;
  totalCallAttempts: number;
  lastCallAt: Date | null;
  convertedAt: Date;
  primaryAgentId: number | null;
  contributingAgents: number[];
  documentsReceived: string[];
  signatureObtained: boolean;
  requirementsMet: string[];
  claimValue: string | null;
  estimatedCommission: string | null;
  createdAt: Date;
}

export const ConversionSchema = new EntitySchema<Conversion>({
  name: 'Conversion',
  tableName: 'conversions',
  properties: {
    id: bigintId(),
    userId: bigintCol(),
    previousQueueType: text({ nullable: true }),
    conversionType: text(),
    conversionReason: text({ nullable: true }),
    finalScore: int({ nullable: true }),
    totalCallAttempts: int(),
    lastCallAt: time({ nullable: true }),
    convertedAt: time(),
    primaryAgentId: int({ nullable: true }),
    contributingAgents: json(),
    documentsReceived: json(),
    signatureObtained: bool(),
    requirementsMet: json(),
    claimValue: { type: 'decimal', columnType: 'numeric(12,2)', nullable: true },
    estimatedCommission: { type: 'decimal', columnType: 'numeric(12,2)', nullable: true },
    createdAt: time({ onCreate: () => new Date() }),
  } as never,
});
