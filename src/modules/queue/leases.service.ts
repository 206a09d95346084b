import { phaseTransaction, publishEntry, type Operation } from '../operation.js';
import { lockAssignedEntry } from './claim.service.js';
import { recordTransition, returnToPending } from './entry-writes.sql.js';
import { dueLeases, endLease, extendLease, lockEntryIfFree, lockLease, onCall, renewLease } from './leases.sql.js';
import type { QueueEntryRecord } from './queue-entry.js';

/** Leases the job ends per run at most (the next run, seconds later, takes the rest). */
const BATCH = 200;

/** renewAssignment: the holder (or ADMIN) keeps the entry ASSIGNMENT_LEASE_SECONDS longer. */
export async function renewAssignment(op: Operation, entryId: number, agentId: number | null): Promise<{ entry: QueueEntryRecord; leaseExpiresAt: Date }> {
  return phaseTransaction(op, async (tx) => {
    const entry = await lockAssignedEntry(tx, entryId, agentId);
    return { entry, leaseExpiresAt: await renewLease(tx.em, entry, tx.settings.leaseSeconds) };
  });
}

/**
 * The lease job: every lapsed lease returns its entry to pending — same id, enqueuedAt and
 * priority — with a `lease expired` transition and ENTRY_RELEASED, unless the agent is on a call
 * with the claimant (the lease is extended). One transaction per entry, which is locked first
 * with SKIP LOCKED: an outcome being recorded on it (which holds it) wins, and instances running
 * the job at once split the work instead of waiting for each other.
 */
export async function expireLeases(op: Operation): Promise<{ released: number; extended: number }> {
  let released = 0;
  let extended = 0;
  for (const due of await dueLeases(op.em, BATCH)) {
    const outcome = await phaseTransaction({ ...op, em: op.em.fork() }, async (tx) => {
      const entry = await lockEntryIfFree(tx.em, tx.store, due.entryId);
      if (!entry) return 'skipped';
      const lease = await lockLease(tx.em, due.entryId);
      if (!lease || lease.lapsedAt || lease.expiresAt.getTime() > Date.now()) return 'skipped'; // renewed meanwhile
      if (entry.status !== 'assigned' || entry.assignedToAgentId !== lease.agentId) {
        await endLease(tx.em, entry.id, 'dropped'); // the assignment ended another way
        return 'skipped';
      }
      if (await onCall(tx.em, entry.userId)) {
        await extendLease(tx.em, entry.id, tx.settings.leaseSeconds);
        return 'extended';
      }
      const back = await returnToPending(tx.em, tx.store, entry, null);
      await recordTransition(tx, entry.userId, entry.queueType, entry.queueType, 'lease expired');
      await endLease(tx.em, entry.id, 'lapsed');
      await publishEntry(tx, 'ENTRY_RELEASED', back);
      return 'released';
    });
    if (outcome === 'released') released += 1;
    if (outcome === 'extended') extended += 1;
  }
  return { released, extended };
}
