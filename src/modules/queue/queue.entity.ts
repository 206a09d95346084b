import { EntitySchema } from '@mikro-orm/core';
import { bigintCol, bigintId, bool, int, text, time, timestamps } from '../../db/columns.js';
import type { QueueType } from '../queue-type.js';
import type { OutstandingRequestEntryRecord, QueueEntryBase, UnsignedUserEntryRecord } from './queue-entry.js';

/**
 * The stored rows of both queue tables: the entry records of queue-entry.ts (the one list of
 * entry fields) plus the bookkeeping columns. Hot paths read them through queue.sql.ts, not the ORM.
 */
type Stored<T> = Omit<T, 'queueType' | 'availableFromKey'> & { closedAt: Date | null; createdAt: Date; updatedAt: Date };
export type QueueEntryRow = Stored<QueueEntryBase>;
export type UnsignedUserEntryRow = Stored<UnsignedUserEntryRecord>;
export type OutstandingRequestEntryRow = Stored<OutstandingRequestEntryRecord>;

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


/** Columns the legacy table shares with the separated ones. */
const sharedProperties = {
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
  ...timestamps(),
};

const entryProperties = {
  ...sharedProperties,
  enqueuedAt: time(),
  closedAt: time({ nullable: true }),
  closedReason: text({ nullable: true }),
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
    ...sharedProperties,
    queueType: text(),
    claimId: text({ nullable: true }),
    migratedFromCallback: bool(),
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
