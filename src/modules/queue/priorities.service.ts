import { phaseTransaction, type Operation } from '../operation.js';
import { QUEUE_TYPES, type QueueType } from '../queue-type.js';
import { agedEntries, lockPriorityRefresh, refreshPriorities } from './priorities.sql.js';

/** Entries re-aged per statement: each batch is its own short transaction, so its row locks are brief. */
export const PRIORITY_BATCH = 2000;

/**
 * The priority refresh: every live entry's priority, escalation level and urgency follow the
 * policy evaluated at one instant (`at`), with the claimant's score row. Per queue one
 * read-only scan finds the entries the policy moved; then batches rewrite them, each a short
 * transaction. Across instances a batch runs only while it holds the refresh lock
 * (transaction-scoped, so a dead instance cannot keep it): an instance that finds it taken stops
 * its run, and since every batch re-checks its rows under their locks, two runs that interleave
 * still rewrite each entry once.
 */
export async function refreshAllPriorities(op: Operation, at = new Date()): Promise<Record<QueueType, number>> {
  const moved = { unsigned_users: 0, outstanding_requests: 0 };
  for (const queueType of QUEUE_TYPES) {
    const ids = await phaseTransaction(op, (tx) => agedEntries(tx.em, tx.store, queueType, at));
    for (let i = 0; i < ids.length; i += PRIORITY_BATCH) {
      const batch = await phaseTransaction(op, async (tx) => (await lockPriorityRefresh(tx.em))
        ? refreshPriorities(tx.em, tx.store, queueType, at, ids.slice(i, i + PRIORITY_BATCH)) : null);
      if (batch === null) break;  // another instance is refreshing now
      moved[queueType] += batch;
    }
  }
  return moved;
}
