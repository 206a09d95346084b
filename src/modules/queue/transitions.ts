import { rowMapper } from '../../db/rows.js';
import type { QueueTransition } from './queue.entity.js';

export type { QueueTransition };

/** A queue_transitions row as the API hands it out (the claimant page's history). */
export const toTransition = rowMapper<QueueTransition>(['at']);
