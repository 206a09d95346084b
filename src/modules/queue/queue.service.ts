import type { EntityManager } from '@mikro-orm/postgresql';
import { toDate } from '../../db/sql.js';
import { badInput } from '../errors.js';
import { checkPageSize, decodeCursor, toPage } from '../pagination.js';
import { claimOrderKey, toEntryRecord, type QueueEntryPage } from './queue-entry.js';
import { listEntryPages, queueCounts, queueStats, type EntryPageRequest } from './queue.sql.js';
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

export interface QueueCounts {
  depth: number;
  assignedCount: number;
}

/** Depth and assigned count: what dashboards poll, read from maintained counts (no scan of the entries). */
export async function loadQueueCounts(em: EntityManager, reads: QueueReads, types: readonly QueueType[]): Promise<Map<QueueType, QueueCounts>> {
  const rows = await reads.read(em, (store) => queueCounts(em, store, types));
  return new Map(rows.map((r) => [r.queue_type, { depth: r.depth, assignedCount: r.assigned_count }]));
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

export interface EntryFilterArgs {
  hasCallback?: boolean | null;
  escalationLevel?: number | null;
  urgentSignature?: boolean | null;
  availableNow?: boolean | null;
}

export interface EntryPageArgs {
  queueType: QueueType;
  first?: number | null;
  after?: string | null;
  status?: EntryStatus | null;
  search?: string | null;
  filter?: EntryFilterArgs | null;
}

/** A search and filters, checked: null fields are dropped, so equal views share a cache key. */
function entryFilter(queueType: QueueType, search: string | null | undefined, filter: EntryFilterArgs | null | undefined): EntryPageRequest['filter'] {
  const out: EntryPageRequest['filter'] = {};
  if (search != null) {
    const text = search.trim();
    if (text.length < 1 || text.length > 100) throw badInput('search must be 1–100 characters (a user id, part of a name or of a phone number)');
    out.search = text;
  }
  if (filter?.escalationLevel != null) {
    if (queueType !== 'outstanding_requests') throw badInput('filter.escalationLevel applies to the OUTSTANDING_REQUESTS queue only');
    if (![0, 1, 2].includes(filter.escalationLevel)) throw badInput(`filter.escalationLevel must be 0, 1 or 2, got ${filter.escalationLevel}`);
    out.escalationLevel = filter.escalationLevel;
  }
  if (filter?.urgentSignature != null) {
    if (queueType !== 'unsigned_users') throw badInput('filter.urgentSignature applies to the UNSIGNED_USERS queue only');
    out.urgentSignature = filter.urgentSignature;
  }
  if (filter?.hasCallback != null) out.hasCallback = filter.hasCallback;
  if (filter?.availableNow != null) out.availableNow = filter.availableNow;
  return out;
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
    filter: entryFilter(args.queueType, args.search, args.filter),
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
