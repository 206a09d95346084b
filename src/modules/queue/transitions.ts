import { rowMapper } from '../../db/rows.js';
import type { QueueType } from '../queue-type.js';

/** One move of a claimant between queues (a queue_transitions row). */
export interface QueueTransition {
  id: number;
  userId: number;
  /** Null: it entered from outside any queue. */
  fromQueue: QueueType | null;
  /** Null: it left the queues. */
  toQueue: QueueType | null;
  reason: string;
  actor: string;
  at: Date;
}

export const toTransition = rowMapper<QueueTransition>(['at']);
