import type { EntityManager } from '@mikro-orm/postgresql';
import { toDate } from '../../db/sql.js';
import { checkPageSize, decodeCursor, toPage } from '../pagination.js';
import { claimOrderKey, toEntryRecord, type QueueEntryPage } from './queue-entry.js';
import { listEntryPages, queueStats, type EntryPageRequest } from './queue.sql.js';
import { LIVE_STATUSES, type EntryStatus, type QueueStore, type QueueType } from '../queue-type.js';

/** Queue reads in the store of the current phase (the phase watcher implements it, with READ_NEW's fallback). */
export interface QueueReads {
  read<T>(em: EntityManager, fn: (store: QueueStore) => Promise<T>): Promise<T>;
}

/** A queue as the API hands it out; its figures and entries are loaded when asked for. */
export interface QueueRef {
  type: QueueType;
}

export interface QueueStats {
  depth: number;
  availableNow: number;
  assignedCount: number;
  oldestPendingSince: Date | null;
  averageWaitSeconds: number | null;
}

export async function loadQueueStats(em: EntityManager, reads: QueueReads, types: readonly QueueType[]): Promise<Map<QueueType, QueueStats>> {
  const rows = await reads.read(em, (store) => queueStats(em, store, types));
  return new Map(rows.map((r) => [r.queue_type, {
    depth: r.depth,
    availableNow: r.available_now,
    assignedCount: r.assigned_count,
    oldestPendingSince: toDate(r.oldest_pending_since),
    averageWaitSeconds: r.average_wait_seconds,
  }]));
}

export interface EntryPageArgs {
  queueType: QueueType;
  first?: number | null;
  after?: string | null;
  status?: EntryStatus | null;
}

/** Validates page arguments into a request for listEntryPages; throws BAD_USER_INPUT. */
export function entryPageRequest(args: EntryPageArgs, maxPageSize: number): EntryPageRequest & { size: number } {
  const size = checkPageSize(args.first, 50, maxPageSize);
  const after = args.after
    ? (([priorityScore, availableFrom, id]) => ({ priorityScore, availableFrom, id }))(
      decodeCursor(args.after, ['number', 'string', 'number']) as [number, string, number])
    : null;
  return {
    queueType: args.queueType,
    statuses: args.status ? [args.status] : LIVE_STATUSES,
    limit: size + 1,
    after,
    size,
  };
}

/** Loads many pages (for example both queues of a dashboard) in one statement. */
export async function loadEntryPages(
  em: EntityManager,
  reads: QueueReads,
  requests: readonly (EntryPageRequest & { size: number })[],
): Promise<QueueEntryPage[]> {
  const rows = await reads.read(em, (store) => listEntryPages(em, store, requests));
  return requests.map((request, index) => {
    const records = rows.filter((r) => r.batch_key === index).map(toEntryRecord);
    return toPage(records, request.size, claimOrderKey);
  });
}
