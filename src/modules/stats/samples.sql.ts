import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, queryRows, sql } from '../../db/sql.js';
import { queueFigures } from '../queue/queue.sql.js';
import { QUEUE_TYPES, type QueueStore, type QueueType } from '../queue-type.js';

/*
 * takeQueueSample: this minute's figures of both queues, once per minute across instances (the
 * primary key (minute, queue_type) decides: a late instance's row is dropped); also prunes
 * samples past the retention. Returns the rows written (0 when another instance was first).
 */
export async function takeQueueSample(em: EntityManager, store: QueueStore, minute: Date, retentionDays: number): Promise<number> {
  const row = await queryOne<{ written: number }>(em, sql`/* takeQueueSample */
    WITH written AS (
      INSERT INTO queue_samples (minute, queue_type, depth, available_now, assigned_count)
      SELECT date_trunc('minute', ${minute}::timestamptz), f.queue_type, f.depth, f.available_now, f.assigned_count
        FROM (${queueFigures(store, QUEUE_TYPES)}) f
      ON CONFLICT (minute, queue_type) DO NOTHING
      RETURNING 1
    ), pruned AS (
      DELETE FROM queue_samples WHERE minute < now() - make_interval(days => ${retentionDays})
    )
    SELECT count(*)::int AS written FROM written`);
  return row!.written;
}

export interface QueueSampleRow {
  minute: string;
  queue_type: QueueType;
  depth: number;
  available_now: number;
  assigned_count: number;
}

/* queueSamples: the samples of the last `hours`, oldest first. */
export async function queueSamples(em: EntityManager, hours: number): Promise<QueueSampleRow[]> {
  return queryRows<QueueSampleRow>(em, sql`/* queueSamples */
    SELECT minute, queue_type, depth, available_now, assigned_count FROM queue_samples
     WHERE minute >= now() - make_interval(hours => ${hours}) ORDER BY minute, queue_type`);
}

export interface ActivityRow {
  bucket: string;
  claims: number;
  calls: number;
  conversions: number;
}

/*
 * activityBuckets: claims (the event log's ENTRY_ASSIGNED), calls started and conversions
 * recorded per bucket of `minutes` over the last `hours`, every bucket present (zeros included),
 * oldest first. Read from the records themselves (each indexed by time): nothing is sampled.
 */
export async function activityBuckets(em: EntityManager, hours: number, minutes: number): Promise<ActivityRow[]> {
  return queryRows<ActivityRow>(em, sql`/* activityBuckets */
    WITH bounds AS (
      SELECT date_bin(make_interval(mins => ${minutes}), now() - make_interval(hours => ${hours}), timestamptz '2000-01-01') AS first_bucket
    ), buckets AS (
      SELECT generate_series(b.first_bucket, now(), make_interval(mins => ${minutes})) AS bucket FROM bounds b
    ), calls AS (
      SELECT date_bin(make_interval(mins => ${minutes}), started_at, timestamptz '2000-01-01') AS bucket, count(*)::int AS n
        FROM call_sessions, bounds WHERE started_at >= bounds.first_bucket GROUP BY 1
    ), claimed AS (
      SELECT date_bin(make_interval(mins => ${minutes}), at, timestamptz '2000-01-01') AS bucket, count(*)::int AS n
        FROM event_log, bounds WHERE at >= bounds.first_bucket AND type = 'ENTRY_ASSIGNED' GROUP BY 1
    ), converted AS (
      SELECT date_bin(make_interval(mins => ${minutes}), converted_at, timestamptz '2000-01-01') AS bucket, count(*)::int AS n
        FROM conversions, bounds WHERE converted_at >= bounds.first_bucket GROUP BY 1
    )
    SELECT b.bucket, coalesce(a.n, 0) AS claims, coalesce(c.n, 0) AS calls, coalesce(v.n, 0) AS conversions
      FROM buckets b LEFT JOIN claimed a USING (bucket) LEFT JOIN calls c USING (bucket) LEFT JOIN converted v USING (bucket)
     ORDER BY b.bucket`);
}
