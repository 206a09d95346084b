import { EntitySchema } from '@mikro-orm/core';
import { bigintCol, bigintId, int, text, time, timestamps } from '../../db/columns.js';
import type { QueueType } from '../queue-type.js';

export type CallType = 'direct' | 'campaign';

/** A call on a line, from start to end. */
export interface CallSession {
  id: number;
  userId: number;
  agentId: number;
  callType: CallType;
  campaignId: number | null;
  queueType: QueueType | null;
  queueEntryId: number | null;
  status: 'active' | 'completed' | 'failed';
  outcome: string | null;
  startedAt: Date;
  endedAt: Date | null;
  /** Why a direct call was started outside the contact policy (null: it followed it). */
  overrideReason: string | null;
}

/** A call waiting for a free line. */
export interface CallRequest {
  id: number;
  callType: CallType;
  priority: number;
  userId: number;
  agentId: number;
  campaignId: number | null;
  status: 'queued' | 'dispatched' | 'cancelled' | 'expired';
  createdAt: Date;
  dispatchedAt: Date | null;
  closedAt: Date | null;
  /** Why it was cancelled or expired. */
  closedReason: string | null;
  callSessionId: number | null;
  /** Why this direct call may start outside the contact policy (carried to its session). */
  overrideReason: string | null;
}

/** A dialer campaign over one queue. */
export interface Campaign {
  id: number;
  name: string;
  queueType: QueueType;
  status: 'active' | 'paused';
  createdAt: Date;
  updatedAt: Date;
}

export const CallSessionSchema = new EntitySchema<CallSession>({
  name: 'CallSession',
  tableName: 'call_sessions',
  properties: {
    id: bigintId(),
    userId: bigintCol(),
    agentId: int(),
    callType: text(),
    campaignId: bigintCol({ nullable: true }),
    queueType: text({ nullable: true }),
    queueEntryId: bigintCol({ nullable: true }),
    status: text(),
    outcome: text({ nullable: true }),
    startedAt: time(),
    endedAt: time({ nullable: true }),
    overrideReason: text({ nullable: true }),
  } as never,
});

export const CallRequestSchema = new EntitySchema<CallRequest>({
  name: 'CallRequest',
  tableName: 'call_requests',
  properties: {
    id: bigintId(),
    callType: text(),
    priority: int(),
    userId: bigintCol(),
    agentId: int(),
    campaignId: bigintCol({ nullable: true }),
    status: text(),
    createdAt: time(),
    dispatchedAt: time({ nullable: true }),
    closedAt: time({ nullable: true }),
    closedReason: text({ nullable: true }),
    callSessionId: bigintCol({ nullable: true }),
    overrideReason: text({ nullable: true }),
  } as never,
});

export const CampaignSchema = new EntitySchema<Campaign>({
  name: 'Campaign',
  tableName: 'campaigns',
  properties: {
    id: bigintId(),
    name: text(),
    queueType: text(),
    status: text(),
    ...timestamps(),
  } as never,
});
