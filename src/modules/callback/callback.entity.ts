import { EntitySchema } from '@mikro-orm/core';
import { bigintCol, bigintId, bool, int, text, time, timestamps } from '../../db/columns.js';
import type { QueueType } from '../queue-type.js';

export type CallbackStatus = 'pending' | 'completed' | 'cancelled' | 'missed';

/** A call promised for a given time, optionally to be made by one agent. */
export interface Callback {
  id: number;
  userId: number;
  agentId: number | null;
  scheduledFor: Date;
  reason: string;
  status: CallbackStatus;
  queueType: QueueType;
  dueNotifiedAt: Date | null;
  closedAt: Date | null;
  /** The callback put the claimant in its queue; cancelling it takes the claimant out again. */
  createdEntry: boolean;
  /** Promised for a time outside calling hours because the claimant asked for it. */
  claimantRequested: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export const CallbackSchema = new EntitySchema<Callback>({
  name: 'Callback',
  tableName: 'callbacks',
  properties: {
    id: bigintId(),
    userId: bigintCol(),
    agentId: int({ nullable: true }),
    scheduledFor: time(),
    reason: text(),
    status: text(),
    queueType: text(),
    dueNotifiedAt: time({ nullable: true }),
    closedAt: time({ nullable: true }),
    createdEntry: bool({ default: false }),
    claimantRequested: bool({ default: false }),
    ...timestamps(),
  } as never,
});
