import { lockedFacts } from '../facts.sql.js';
import { phaseTransaction, type Operation } from '../operation.js';
import { closeCallback } from '../queue/entry-writes.sql.js';
import { liveEntry } from '../queue/queue.sql.js';
import { endEntryCallback } from './callback-writes.service.js';
import { claimDueCallbacks, lockOverdueCallback, overdueCallbacks } from './callback.sql.js';

/** Callbacks handled per statement or per job run, so one run stays short. */
const BATCH = 500;

/**
 * Announces the callbacks that became due since the last run, each once across instances:
 * rows are claimed with SKIP LOCKED and stamped in the transaction that publishes them, so
 * two instances running the job at the same minute split the rows between them.
 */
export async function notifyDueCallbacks(op: Operation): Promise<number> {
  return phaseTransaction(op, async (tx) => {
    const due = await claimDueCallbacks(tx.em, BATCH);
    for (const callback of due) {
      await tx.events.publish(tx.em, { topic: 'callbackDue', callbackId: callback.id, agentId: callback.agent_id });
    }
    return due.length;
  });
}

/**
 * Callbacks not made within the grace period after they were due become `missed`, and their
 * entry returns to its normal priority (it stays queued: the claimant still has to be called).
 * One transaction per callback, locking the claimant first as every callback write does.
 */
export async function markMissedCallbacks(op: Operation, graceMinutes: number): Promise<number> {
  const overdue = await overdueCallbacks(op.em, graceMinutes, BATCH);
  let missed = 0;
  for (const { id, user_id: userId } of overdue) {
    await phaseTransaction(op, async (tx) => {
      const facts = await lockedFacts(tx, userId);
      if (!(await lockOverdueCallback(tx.em, id, graceMinutes))) return; // another instance got there first, or the call was made
      await closeCallback(tx.em, id, 'missed');
      missed += 1;
      const entry = await liveEntry(tx.em, tx.store, userId, true);
      if (entry?.callbackId === id) await endEntryCallback(tx, facts, entry);
    });
  }
  return missed;
}
