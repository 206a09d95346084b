import { conflict, requireReason } from '../errors.js';
import { lockedFacts } from '../facts.sql.js';
import { phaseTransaction, type Operation } from '../operation.js';
import { liveEntry } from '../queue/queue.sql.js';
import { takeOutOfQueue } from '../queue/queue-writes.service.js';
import { eraseClaimantData, type ErasureRecord } from './privacy.sql.js';

/**
 * eraseClaimant: a person who asked to be forgotten. Out of its queue (with a transition and
 * ENTRY_REMOVED, like any removal), then names, phone and every stored free text about it
 * replaced by the marker, its callbacks cancelled, its score deactivated, the erasure recorded —
 * one transaction. Its history stays under its id. The database refuses it afterwards in every
 * queue, call and callback table, and refuses to give it personal data again.
 */
export async function eraseClaimant(op: Operation, userId: number, reasonText: string): Promise<ErasureRecord> {
  const reason = requireReason(reasonText);
  return phaseTransaction(op, async (tx) => {
    const facts = await lockedFacts(tx, userId);
    if (facts.claimant.erasedAt) throw conflict(`claimant ${userId} was already erased on ${facts.claimant.erasedAt.toISOString()}`);
    const live = await liveEntry(tx.em, tx.store, userId, true);
    // The entry's own callback is cancelled with it: counted here, the others by the erasure.
    const entryCallback = live?.callbackId ? 1 : 0;
    if (live) await takeOutOfQueue(tx, live, 'removed', 'erased on request', 'erased on request');
    return eraseClaimantData(tx.em, { userId, actor: tx.actor, reason, entriesRemoved: live ? 1 : 0, callbacksCancelled: entryCallback });
  });
}
