/** The two separated queues, as stored in the database. */
export type QueueType = 'unsigned_users' | 'outstanding_requests';
export const QUEUE_TYPES: readonly QueueType[] = ['unsigned_users', 'outstanding_requests'];

export type EntryStatus = 'pending' | 'assigned' | 'completed' | 'removed';
export const LIVE_STATUSES: readonly EntryStatus[] = ['pending', 'assigned'];

/** Table of each queue; the only place that maps a queue type to SQL. */
export const QUEUE_TABLE: Readonly<Record<QueueType, string>> = {
  unsigned_users: 'unsigned_users_queue',
  outstanding_requests: 'outstanding_requests_queue',
};
