import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, queryRows, raw, sql } from '../../db/sql.js';
import type { EntryRow } from '../queue/queue-entry.js';
import { QUEUE_TABLE, QUEUE_TYPES, type QueueType } from '../queue-type.js';

/**
 * The statements of the legacy data migration. Both sides are compared through migration
 * 0006's image views (`legacy_entry_images`, `separated_entry_images`): one column set, legacy
 * rows already mapped the way the copy maps them. Copies are 0006's `copy_legacy_entries` and
 * `copy_separated_entries` — the same functions the dual-write triggers call.
 */

/** The columns validation checksums: every mapped column but the bookkeeping timestamps. */
const IMAGE_COLUMNS = `id, queue_type, user_id, claim_id, priority_score, status, assigned_to_agent_id, assigned_at,
  available_from, callback_id, callback_scheduled_for, callback_reason, enqueued_at, closed_at, closed_reason,
  signature_missing_since, signature_type, reminders_sent, urgent_signature, requirement_types, total_requirements,
  pending_requirements, escalation_level, document_deadline`;
const checksum = (alias: string) =>
  raw(`md5(ROW(${IMAGE_COLUMNS.split(',').map((c) => `${alias}.${c.trim()}`).join(', ')})::text)`);
const LIVE = raw(`('pending', 'assigned')`);
/** Which of a claimant's live legacy rows the copy keeps: the one held, else the highest, else the oldest. */
const KEEP_ORDER = raw(`(status = 'assigned') DESC, priority_score DESC, id`);
/** A live separated entry that legacy does not know while the claimant is live there under another id. */
const superseded = (s: string) => raw(`${s}.status IN ('pending', 'assigned')
  AND EXISTS (SELECT 1 FROM legacy_entry_images l WHERE l.user_id = ${s}.user_id AND l.status IN ('pending', 'assigned') AND l.id <> ${s}.id)
  AND NOT EXISTS (SELECT 1 FROM call_queue q WHERE q.id = ${s}.id)`);

export interface StoreCounts {
  queueType: QueueType;
  legacyRows: number;
  legacyLive: number;
  separatedRows: number;
  separatedLive: number;
}

/* migrationCounts: rows and live rows per queue type on both sides. */
export async function storeCounts(em: EntityManager): Promise<StoreCounts[]> {
  return queryRows<StoreCounts>(em, sql`/* migrationCounts */
    WITH legacy AS (SELECT queue_type, count(*)::int AS n, count(*) FILTER (WHERE status IN ${LIVE})::int AS live
                      FROM call_queue GROUP BY 1),
         separated AS (SELECT 'unsigned_users' AS queue_type, count(*)::int AS n,
                              count(*) FILTER (WHERE status IN ${LIVE})::int AS live FROM unsigned_users_queue
                       UNION ALL
                       SELECT 'outstanding_requests', count(*)::int, count(*) FILTER (WHERE status IN ${LIVE})::int
                         FROM outstanding_requests_queue)
    SELECT s.queue_type AS "queueType", coalesce(l.n, 0) AS "legacyRows", coalesce(l.live, 0) AS "legacyLive",
           s.n AS "separatedRows", s.live AS "separatedLive"
      FROM separated s LEFT JOIN legacy l ON l.queue_type = s.queue_type
     ORDER BY s.queue_type DESC`);
}

export interface LegacyTypeCount {
  legacyType: string;
  rows: number;
  live: number;
}

/* legacyTypeCounts: call_queue by its legacy type (former callback rows counted apart). */
export async function legacyTypeCounts(em: EntityManager): Promise<LegacyTypeCount[]> {
  return queryRows<LegacyTypeCount>(em, sql`/* legacyTypeCounts */
    SELECT CASE WHEN migrated_from_callback THEN 'callback' ELSE queue_type END AS "legacyType",
           count(*)::int AS rows, count(*) FILTER (WHERE status IN ${LIVE})::int AS live
      FROM call_queue GROUP BY 1 ORDER BY 1`);
}

export interface TargetCount {
  queueType: QueueType;
  table: string;
  rows: number;
  live: number;
  toInsert: number;
  toUpdate: number;
  unchanged: number;
}

/* migrationTargets: what the copy would do to each separated table. */
export async function targetCounts(em: EntityManager): Promise<TargetCount[]> {
  return queryRows<TargetCount>(em, sql`/* migrationTargets */
    SELECT l.queue_type AS "queueType", l.queue_type || '_queue' AS "table", count(*)::int AS rows,
           count(*) FILTER (WHERE l.status IN ${LIVE})::int AS live,
           count(*) FILTER (WHERE s.id IS NULL)::int AS "toInsert",
           count(*) FILTER (WHERE s.id IS NOT NULL AND ${checksum('l')} <> ${checksum('s')})::int AS "toUpdate",
           count(*) FILTER (WHERE s.id IS NOT NULL AND ${checksum('l')} = ${checksum('s')})::int AS unchanged
      FROM legacy_entry_images l LEFT JOIN separated_entry_images s ON s.id = l.id
     GROUP BY l.queue_type ORDER BY l.queue_type DESC`);
}

/** Live legacy callback rows with no callback row yet: the copy makes them real callbacks. */
export async function callbacksToConvert(em: EntityManager): Promise<number> {
  const row = await queryOne<{ n: number }>(em, sql`/* callbacksToConvert */
    SELECT count(*)::int AS n FROM legacy_entry_images
     WHERE status IN ${LIVE} AND callback_scheduled_for IS NOT NULL AND callback_id IS NULL`);
  return row!.n;
}

export type ConflictKind = 'LIVE_IN_BOTH_TYPES' | 'DUPLICATE_LIVE' | 'SEPARATED_LIVE_ELSEWHERE' | 'SEPARATED_DIFFERS' | 'UNKNOWN_CLAIMANT';

export interface Conflict {
  kind: ConflictKind;
  userId: number;
  entryIds: number[];
  resolution: string;
}

/*
 * migrationConflicts: what the copy cannot take as it is, and what it will do about it.
 * - a claimant with several live legacy rows (of both types, or twice the same): the row an
 *   agent holds, else the highest priority, else the oldest is kept; the others are closed;
 * - a claimant live in a separated table under an entry legacy does not have: that entry is
 *   closed, the legacy one wins;
 * - a separated entry with the same id and different content: overwritten from legacy;
 * - a legacy row whose claimant does not exist: not copied (reported by validation too).
 */
export async function conflicts(em: EntityManager, limit: number): Promise<{ total: number; list: Conflict[] }> {
  const rows = await queryRows<Conflict & { total: number }>(em, sql`/* migrationConflicts */
    WITH dup AS (
      SELECT user_id, array_agg(id ORDER BY ${KEEP_ORDER}) AS ids,
             count(DISTINCT queue_type) > 1 AS both_types
        FROM legacy_entry_images WHERE status IN ${LIVE} GROUP BY user_id HAVING count(*) > 1),
    elsewhere AS (
      SELECT s.user_id, array_agg(s.id ORDER BY s.id) AS ids FROM separated_entry_images s
       WHERE ${superseded('s')} GROUP BY s.user_id),
    differs AS (
      SELECT l.user_id, l.id FROM legacy_entry_images l JOIN separated_entry_images s ON s.id = l.id
       WHERE ${checksum('l')} <> ${checksum('s')}),
    orphans AS (
      SELECT q.user_id, array_agg(q.id ORDER BY q.id) AS ids FROM call_queue q
       WHERE NOT EXISTS (SELECT 1 FROM claimants c WHERE c.user_id = q.user_id) GROUP BY q.user_id),
    every AS (
      SELECT CASE WHEN both_types THEN 'LIVE_IN_BOTH_TYPES' ELSE 'DUPLICATE_LIVE' END AS kind, user_id, ids,
             'entry ' || ids[1] || ' is kept (held by an agent, else highest priority, else oldest); '
               || array_to_string(ids[2:], ', ') || ' closed as removed' AS resolution FROM dup
      UNION ALL
      SELECT 'SEPARATED_LIVE_ELSEWHERE', user_id, ids,
             'separated entry ' || array_to_string(ids, ', ') || ' closed as removed; the legacy entry is copied' FROM elsewhere
      UNION ALL
      SELECT 'SEPARATED_DIFFERS', user_id, ARRAY[id], 'overwritten from call_queue' FROM differs
      UNION ALL
      SELECT 'UNKNOWN_CLAIMANT', user_id, ids, 'not copied: no claimant row; stays in call_queue' FROM orphans)
    SELECT kind, user_id AS "userId", ids AS "entryIds", resolution, count(*) OVER ()::int AS total
      FROM every ORDER BY kind, user_id LIMIT ${limit}`);
  return {
    total: rows[0]?.total ?? 0,
    list: rows.map(({ total: _total, ...c }) => ({ ...c, userId: Number(c.userId), entryIds: c.entryIds.map(Number) })),
  };
}

/* migrationSample: legacy rows as the copy will write them. */
export async function sample(em: EntityManager, limit: number): Promise<EntryRow[]> {
  return queryRows<EntryRow>(em, sql`/* migrationSample */
    (SELECT * FROM legacy_entry_images WHERE status IN ${LIVE} AND queue_type = 'unsigned_users' ORDER BY id LIMIT ${limit})
    UNION ALL
    (SELECT * FROM legacy_entry_images WHERE status IN ${LIVE} AND queue_type = 'outstanding_requests' ORDER BY id LIMIT ${limit})`);
}

/* resolveConflicts: the resolutions `conflicts` announces, applied (in the caller's transaction). */
export async function resolveConflicts(em: EntityManager): Promise<number> {
  const duplicates = await queryOne<{ n: number }>(em, sql`/* resolveLegacyDuplicates */
    WITH ranked AS (
      SELECT id, first_value(id) OVER w AS kept, row_number() OVER w AS rank
        FROM legacy_entry_images WHERE status IN ${LIVE}
      WINDOW w AS (PARTITION BY user_id ORDER BY ${KEEP_ORDER})),
    closed AS (
      UPDATE call_queue q SET status = 'removed', assigned_to_agent_id = NULL, assigned_at = NULL, closed_at = now(),
             closed_reason = 'legacy migration: duplicate live entry; entry ' || r.kept || ' kept', updated_at = now()
        FROM ranked r WHERE r.id = q.id AND r.rank > 1 RETURNING 1)
    SELECT count(*)::int AS n FROM closed`);
  let elsewhere = 0;
  for (const queueType of QUEUE_TYPES) {
    const row = await queryOne<{ n: number }>(em, sql`/* resolveSeparatedElsewhere */
      WITH closed AS (
        UPDATE ${raw(QUEUE_TABLE.separated[queueType])} s
           SET status = 'removed', assigned_to_agent_id = NULL, assigned_at = NULL, closed_at = now(),
               closed_reason = 'legacy migration: superseded by the legacy entry', updated_at = now()
         WHERE ${superseded('s')}
        RETURNING 1)
      SELECT count(*)::int AS n FROM closed`);
    elsewhere += row!.n;
  }
  return duplicates!.n + elsewhere;
}

/*
 * convertLegacyCallbacks: a live legacy row carrying a callback time becomes a real callback
 * (callbacks row + callback_id), so the service's callback rules apply to it after the copy.
 * One live row per claimant by now (resolveConflicts ran), so the claimant names the row.
 */
export async function convertCallbacks(em: EntityManager): Promise<number> {
  const row = await queryOne<{ n: number }>(em, sql`/* convertLegacyCallbacks */
    WITH todo AS (
      SELECT id, user_id, queue_type, assigned_to_agent_id, callback_scheduled_for, callback_reason FROM legacy_entry_images
       WHERE status IN ${LIVE} AND callback_scheduled_for IS NOT NULL AND callback_id IS NULL),
    made AS (
      INSERT INTO callbacks (user_id, agent_id, scheduled_for, reason, queue_type)
      SELECT user_id, assigned_to_agent_id, callback_scheduled_for, coalesce(callback_reason, 'legacy callback'), queue_type
        FROM todo
      ON CONFLICT DO NOTHING
      RETURNING id, user_id),
    linked AS (
      UPDATE call_queue q SET callback_id = made.id, updated_at = now()
        FROM made JOIN todo ON todo.user_id = made.user_id
       WHERE q.id = todo.id RETURNING 1)
    SELECT count(*)::int AS n FROM linked`);
  return row!.n;
}

/* copyBatch: the next legacy rows after `afterId`, share-locked so no write changes them mid-copy. */
export async function copyBatch(em: EntityManager, afterId: number, size: number): Promise<{ rows: number; lastId: number | null }> {
  const locked = await queryOne<{ ids: string[] | null }>(em, sql`/* lockLegacyBatch */
    SELECT array_agg(id ORDER BY id) AS ids
      FROM (SELECT id FROM call_queue WHERE id > ${afterId} ORDER BY id LIMIT ${size} FOR SHARE) batch`);
  const ids = locked?.ids ?? [];
  if (ids.length === 0) return { rows: 0, lastId: null };
  // A statement of its own: its snapshot is taken after the locks above, so it copies the
  // newest committed version of every row in the batch.
  await queryRows(em, sql`/* copyLegacyBatch */ SELECT copy_legacy_entries(${ids}::bigint[])`);
  return { rows: ids.length, lastId: Number(ids[ids.length - 1]) };
}

export interface Mismatch {
  entryId: number;
  queueType: QueueType;
  kind: 'MISSING_IN_SEPARATED' | 'MISSING_IN_LEGACY' | 'DIFFERENT';
}

export interface TypeValidation extends StoreCounts {
  mismatches: number;
}

/*
 * validateMigration: every legacy image against its separated row by id — counts per type and
 * a checksum of the mapped columns per row. One pass over both sides.
 */
export async function compareStores(em: EntityManager, listLimit: number): Promise<{ byType: TypeValidation[]; mismatches: Mismatch[]; unmapped: number }> {
  const rows = await queryRows<{
    queue_type: QueueType; legacy_rows: number; legacy_live: number; separated_rows: number; separated_live: number;
    mismatches: number; missing_in_separated: string[] | null; missing_in_legacy: string[] | null; different: string[] | null;
  }>(em, sql`/* validateMigration */
    WITH l AS (SELECT id, queue_type, status, ${checksum('i')} AS h FROM legacy_entry_images i),
         s AS (SELECT id, queue_type, status, ${checksum('i')} AS h FROM separated_entry_images i),
         j AS (SELECT coalesce(l.id, s.id) AS id, coalesce(s.queue_type, l.queue_type) AS queue_type,
                      l.status AS ls, s.status AS ss, l.h AS lh, s.h AS sh
                 FROM l FULL JOIN s ON s.id = l.id)
    SELECT queue_type,
           count(ls)::int AS legacy_rows, count(*) FILTER (WHERE ls IN ${LIVE})::int AS legacy_live,
           count(ss)::int AS separated_rows, count(*) FILTER (WHERE ss IN ${LIVE})::int AS separated_live,
           count(*) FILTER (WHERE lh IS DISTINCT FROM sh)::int AS mismatches,
           (array_agg(id ORDER BY id) FILTER (WHERE sh IS NULL))[1:${listLimit}] AS missing_in_separated,
           (array_agg(id ORDER BY id) FILTER (WHERE lh IS NULL))[1:${listLimit}] AS missing_in_legacy,
           (array_agg(id ORDER BY id) FILTER (WHERE lh <> sh))[1:${listLimit}] AS different
      FROM j GROUP BY queue_type`);
  const unmapped = await queryOne<{ n: number }>(em, sql`/* unmappedLegacyRows */
    SELECT count(*)::int AS n FROM call_queue q WHERE NOT EXISTS (SELECT 1 FROM claimants c WHERE c.user_id = q.user_id)`);
  const byType = QUEUE_TYPES.map((queueType) => {
    const r = rows.find((x) => x.queue_type === queueType);
    return {
      queueType, legacyRows: r?.legacy_rows ?? 0, legacyLive: r?.legacy_live ?? 0, separatedRows: r?.separated_rows ?? 0,
      separatedLive: r?.separated_live ?? 0, mismatches: r?.mismatches ?? 0,
    };
  });
  const mismatches = rows.flatMap((r) => [
    ...(r.missing_in_separated ?? []).map((id) => ({ entryId: Number(id), queueType: r.queue_type, kind: 'MISSING_IN_SEPARATED' as const })),
    ...(r.missing_in_legacy ?? []).map((id) => ({ entryId: Number(id), queueType: r.queue_type, kind: 'MISSING_IN_LEGACY' as const })),
    ...(r.different ?? []).map((id) => ({ entryId: Number(id), queueType: r.queue_type, kind: 'DIFFERENT' as const })),
  ]).sort((a, b) => a.entryId - b.entryId).slice(0, listLimit);
  return { byType, mismatches, unmapped: unmapped!.n };
}

/* copyBack: every separated entry legacy lacks or holds differently, written to call_queue. */
export async function copyBack(em: EntityManager): Promise<number> {
  const row = await queryOne<{ n: number }>(em, sql`/* copySeparatedBack */
    WITH ids AS (
      SELECT array_agg(s.id) AS ids FROM separated_entry_images s
        LEFT JOIN call_queue q ON q.id = s.id
        LEFT JOIN legacy_entry_images l ON l.id = s.id
       WHERE q.id IS NULL OR l.id IS NULL OR ${checksum('l')} <> ${checksum('s')}),
    copied AS (SELECT copy_separated_entries(coalesce(ids, '{}')) FROM ids)
    SELECT coalesce(cardinality(ids.ids), 0)::int AS n FROM ids, copied`);
  return row!.n;
}
