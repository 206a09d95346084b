import { phaseTransaction, type Operation } from '../operation.js';
import { QUEUE_TYPES, type QueueType } from '../queue-type.js';
import { lockPriorityRefresh, refreshPriorities } from './priorities.sql.js';

/** Entries re-aged per statement: each batch is its own short transaction, so its row locks are brief. */
export const PRIORITY_BATCH = 2000;

/**
 * The priority refresh: every live entry's priority, escalation level and urgency follow the
 * policy evaluated at one instant (`at`), with the claimant's score row. Once per tick across
 * instances: a batch runs only for the instance holding the refresh lock (transaction-scoped,
 * so a dead instance cannot keep it); the others find nothing left to do.
 */
export async function refreshAllPriorities(op: Operation, at = new Date()): Promise<Record<QueueType, number>> {
  const moved = { unsigned_users: 0, outstanding_requests: 0 };
  for (const queueType of QUEUE_TYPES) {
    for (;;) {
      const batch = await phaseTransaction(op, async (tx) =>
        (await lockPriorityRefresh(tx.em)) ? refreshPriorities(tx.em, tx.store, queueType, at, PRIORITY_BATCH) : 0);
      moved[queueType] += batch;
      if (batch < PRIORITY_BATCH) break;
    }
  }
  return moved;
}
