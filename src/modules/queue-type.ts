/** The two separated queues, as stored in the database. */
export type QueueType = 'unsigned_users' | 'outstanding_requests';
export const QUEUE_TYPES: readonly QueueType[] = ['unsigned_users', 'outstanding_requests'];

export type EntryStatus = 'pending' | 'assigned' | 'completed' | 'removed';
export const LIVE_STATUSES: readonly EntryStatus[] = ['pending', 'assigned'];

/**
 * Where queue entries are read and written: the separated tables, or the legacy `call_queue`
 * seen through views of the same shape (migration 0006). The migration phase decides which.
 */
export type QueueStore = 'separated' | 'legacy';

/** Table (or view) of each queue in each store; the only place that maps a queue type to SQL. */
export const QUEUE_TABLE: Readonly<Record<QueueStore, Readonly<Record<QueueType, string>>>> = {
  separated: { unsigned_users: 'unsigned_users_queue', outstanding_requests: 'outstanding_requests_queue' },
  legacy: { unsigned_users: 'legacy_unsigned_users_queue', outstanding_requests: 'legacy_outstanding_requests_queue' },
};
