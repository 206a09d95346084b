import { queryOne, queryRows, sql } from '../../db/sql.js';
import { inTransaction, type Operation } from '../operation.js';
import { lockedFacts } from '../queue/queue-writes.service.js';
import { clearEntryCallback } from './callback-writes.service.js';
import { closeCallback } from './callback.sql.js';

/** Callbacks handled per statement or per job run, so one run stays short. */
const BATCH = 500;

/**
 * Announces the callbacks that became due since the last run, each once across instances:
 * rows are claimed with SKIP LOCKED and stamped in the transaction that publishes them, so
 * two instances running the job at the same minute split the rows between them.
 */
export async function notifyDueCallbacks(op: Operation): Promise<number> {
  return inTransaction(op, async (tx) => {
    const due = await queryRows<{ id: number; agent_id: number | null }>(tx.em, sql`/* dueCallbacks */
      UPDATE callbacks c SET due_notified_at = now(), updated_at = now()
       WHERE c.id IN (SELECT id FROM callbacks WHERE status = 'pending' AND due_notified_at IS NULL AND scheduled_for <= now()
                       ORDER BY scheduled_for LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
      RETURNING c.id, c.agent_id`);
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
  const overdue = await queryRows<{ id: number; user_id: number }>(op.em, sql`/* overdueCallbacks */
    SELECT id, user_id FROM callbacks
     WHERE status = 'pending' AND scheduled_for + make_interval(mins => ${graceMinutes}) < now()
     ORDER BY scheduled_for LIMIT ${BATCH}`);
  let missed = 0;
  for (const { id, user_id: userId } of overdue) {
    await inTransaction(op, async (tx) => {
      const facts = await lockedFacts(tx, userId);
      const still = await queryOne(tx.em, sql`SELECT id FROM callbacks WHERE id = ${id} AND status = 'pending'
        AND scheduled_for + make_interval(mins => ${graceMinutes}) < now() FOR UPDATE`);
      if (!still) return; // another instance got there first, or the call was made
      await closeCallback(tx.em, id, 'missed');
      missed += 1;
      const entry = await tx.queues.liveEntry(tx.em, userId, true);
      if (entry?.callbackId === id) await clearEntryCallback(tx, facts, entry);
    });
  }
  return missed;
}
