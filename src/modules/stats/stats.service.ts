import { toDate } from '../../db/sql.js';
import { badInput } from '../errors.js';
import { phaseTransaction, type Operation } from '../operation.js';
import type { QueueType } from '../queue-type.js';
import { activityBuckets, queueSamples, takeQueueSample } from './samples.sql.js';
import type { EntityManager } from '@mikro-orm/postgresql';

/** Figures over time for the console's charts: queue samples (per minute) and activity buckets. */
export interface QueueSample {
  at: Date;
  queueType: QueueType;
  depth: number;
  availableNow: number;
  assignedCount: number;
}

export interface ActivityBucket {
  from: Date;
  claims: number;
  calls: number;
  conversions: number;
}

export const MAX_HISTORY_HOURS = 24 * 7;

function checkHours(hours: number): number {
  if (!Number.isInteger(hours) || hours < 1 || hours > MAX_HISTORY_HOURS) {
    throw badInput(`hours must be a whole number from 1 to ${MAX_HISTORY_HOURS} (7 days), got ${hours}`);
  }
  return hours;
}

/** The sample job: one row per queue for this minute, in the store of the current phase. */
export async function sampleQueues(op: Operation, tick: Date, retentionDays: number): Promise<number> {
  return phaseTransaction(op, (tx) => takeQueueSample(tx.em, tx.store, tick, retentionDays));
}

export async function listQueueSamples(em: EntityManager, hours: number): Promise<QueueSample[]> {
  return (await queueSamples(em, checkHours(hours))).map((r) => ({
    at: toDate(r.minute)!, queueType: r.queue_type, depth: r.depth, availableNow: r.available_now, assignedCount: r.assigned_count,
  }));
}

const BUCKETS = [1, 5, 15, 60];

export async function listActivity(em: EntityManager, hours: number, bucketMinutes: number): Promise<ActivityBucket[]> {
  if (!BUCKETS.includes(bucketMinutes)) throw badInput(`bucketMinutes must be one of ${BUCKETS.join(', ')}, got ${bucketMinutes}`);
  return (await activityBuckets(em, checkHours(hours), bucketMinutes)).map((r) => ({ from: toDate(r.bucket)!, claims: r.claims, calls: r.calls, conversions: r.conversions }));
}
