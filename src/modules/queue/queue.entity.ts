import { EntitySchema } from '@mikro-orm/core';
import { bigintCol, bigintId, bool, int, text, time, timestamps } from '../../db/columns.js';
import type { EntryStatus, QueueType } from '../queue-type.js';

/** Columns both queue tables share. Hot paths read these through queue.sql.ts, not the ORM. */
export interface QueueEntryRow {
  id: number;
  userId: number;
  claimId: string;
  priorityScore: number;
  status: EntryStatus;
  assignedToAgentId: number | null;
  assignedAt: Date | null;
  availableFrom: Date;
  callbackId: number | null;
  callbackScheduledFor: Date | null;
  callbackReason: string | null;
  enqueuedAt: Date;
  closedAt: Date | null;
  closedReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface UnsignedUserEntryRow extends QueueEntryRow {
  signatureMissingSince: Date | null;
  signatureType: string | null;
  remindersSent: number;
  urgentSignature: boolean;
}

export interface OutstandingRequestEntryRow extends QueueEntryRow {
  requirementTypes: string[];
  totalRequirements: number;
  pendingRequirements: number;
  escalationLevel: number;
  documentDeadline: Date | null;
}

/** The legacy single queue (`queue_type` includes `callback`). */
export interface LegacyQueueEntryRow extends Omit<QueueEntryRow, 'enqueuedAt' | 'closedAt' | 'closedReason' | 'claimId'> {
  queueType: QueueType | 'callback';
  claimId: string | null;
  migratedFromCallback: boolean;
}

export interface QueueTransition {
  id: number;
  userId: number;
  fromQueue: QueueType | null;
  toQueue: QueueType | null;
  reason: string;
  actor: string;
  at: Date;
}


const entryProperties = {
  id: bigintId(),
  userId: bigintCol(),
  claimId: text(),
  priorityScore: int(),
  status: text(),
  assignedToAgentId: int({ nullable: true }),
  assignedAt: time({ nullable: true }),
  availableFrom: time(),
  callbackId: bigintCol({ nullable: true }),
  callbackScheduledFor: time({ nullable: true }),
  callbackReason: text({ nullable: true }),
  enqueuedAt: time(),
  closedAt: time({ nullable: true }),
  closedReason: text({ nullable: true }),
  ...timestamps(),
};

export const UnsignedUserEntrySchema = new EntitySchema<UnsignedUserEntryRow>({
  name: 'UnsignedUserEntry',
  tableName: 'unsigned_users_queue',
  properties: {
    ...entryProperties,
    signatureMissingSince: time({ nullable: true }),
    signatureType: text({ nullable: true }),
    remindersSent: int(),
    urgentSignature: bool(),
  } as never,
});

export const OutstandingRequestEntrySchema = new EntitySchema<OutstandingRequestEntryRow>({
  name: 'OutstandingRequestEntry',
  tableName: 'outstanding_requests_queue',
  properties: {
    ...entryProperties,
    requirementTypes: { type: 'string[]', columnType: 'text[]' },
    totalRequirements: int(),
    pendingRequirements: int(),
    escalationLevel: int(),
    documentDeadline: time({ nullable: true }),
  } as never,
});

export const LegacyQueueEntrySchema = new EntitySchema<LegacyQueueEntryRow>({
  name: 'LegacyQueueEntry',
  tableName: 'call_queue',
  properties: {
    id: bigintId(),
    queueType: text(),
    userId: bigintCol(),
    claimId: text({ nullable: true }),
    priorityScore: int(),
    status: text(),
    assignedToAgentId: int({ nullable: true }),
    assignedAt: time({ nullable: true }),
    availableFrom: time(),
    callbackId: bigintCol({ nullable: true }),
    callbackScheduledFor: time({ nullable: true }),
    callbackReason: text({ nullable: true }),
    migratedFromCallback: bool(),
    ...timestamps(),
  } as never,
});

export const QueueTransitionSchema = new EntitySchema<QueueTransition>({
  name: 'QueueTransition',
  tableName: 'queue_transitions',
  properties: {
    id: bigintId(),
    userId: bigintCol(),
    fromQueue: text({ nullable: true }),
    toQueue: text({ nullable: true }),
    reason: text(),
    actor: text(),
    at: time(),
  } as never,
});
