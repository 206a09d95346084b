import type { EntityManager } from '@mikro-orm/postgresql';
import { joinSql, queryOne, queryRows, raw, sql, type Sql } from '../../db/sql.js';
import { toEntryRecord, type EntryRow, type QueueEntryRecord } from './queue-entry.js';
import { QUEUE_TABLE, QUEUE_TYPES, type EntryStatus, type QueueStore, type QueueType } from '../queue-type.js';

/**
 * Read statements over both queue tables. Each returns the rows of both queues in one
 * statement (UNION ALL), so a dashboard asking for both queues costs one round trip. Each
 * reads the store it is given: the separated tables, or `call_queue` through its views.
 */

const COMMON = `e.id, e.user_id, e.claim_id, e.priority_score, e.status, e.assigned_to_agent_id,
  e.assigned_at, e.available_from, e.callback_id, e.callback_scheduled_for, e.callback_reason,
  e.enqueued_at, e.closed_reason`;

/** One column set for both tables: each table fills its own extras, NULL for the other's. */
const EXTRAS: Record<QueueType, string> = {
  unsigned_users: `e.signature_missing_since, e.signature_type, e.reminders_sent, e.urgent_signature,
    NULL::text[] AS requirement_types, NULL::int AS total_requirements, NULL::int AS pending_requirements,
    NULL::smallint AS escalation_level, NULL::timestamptz AS document_deadline`,
  outstanding_requests: `NULL::timestamptz AS signature_missing_since, NULL::text AS signature_type,
    NULL::int AS reminders_sent, NULL::boolean AS urgent_signature, e.requirement_types,
    e.total_requirements, e.pending_requirements, e.escalation_level, e.document_deadline`,
};

/** The entry column list over alias `e` (for SELECT and for UPDATE … RETURNING). */
export function entryColumns(queueType: QueueType) {
  return raw(`'${queueType}'::text AS queue_type, ${COMMON}, ${EXTRAS[queueType]}`);
}

export function selectEntry(store: QueueStore, queueType: QueueType): Sql {
  return sql`SELECT ${entryColumns(queueType)} FROM ${raw(QUEUE_TABLE[store][queueType])} e`;
}

/** Entry statuses are a closed enum; inlining them lets the planner pick the partial indexes. */
function statusIn(statuses: readonly EntryStatus[]) {
  return raw(`(${statuses.map((s) => `'${s.replace(/[^a-z]/g, '')}'`).join(', ')})`);
}

export interface EntryPageRequest {
  queueType: QueueType;
  statuses: readonly EntryStatus[];
  filter: {
    /** A user id, part of a name, or digits of a phone number. */
    search?: string;
    hasCallback?: boolean;
    escalationLevel?: number;
    urgentSignature?: boolean;
    availableNow?: boolean;
  };
  /** Rows to fetch (page size + 1, to know whether another page follows). */
  limit: number;
  after: { priorityScore: number; availableFrom: string; id: number } | null;
}

/*
 * liveEntry: one entry, read or locked FOR UPDATE (the write that follows changes
 * it). FOR UPDATE cannot lock through a UNION, so a locking read asks each table in turn (the
 * entry is in one at most).
 */
export async function liveEntry(em: EntityManager, store: QueueStore, userId: number, lock: boolean): Promise<QueueEntryRecord | null> {
  if (!lock) return (await liveEntriesByUsers(em, store, [userId])).map(toEntryRecord)[0] ?? null;
  for (const t of QUEUE_TYPES) {
    const row = await queryOne<EntryRow>(em, sql`/* lockLiveEntry */ ${selectEntry(store, t)}
      WHERE e.user_id = ${userId} AND e.status IN ('pending', 'assigned') FOR UPDATE`);
    if (row) return toEntryRecord(row);
  }
  return null;
}

/** The WHERE terms of a search and filters over alias `e` (empty when none). */
function filterTerms(f: EntryPageRequest['filter']): Sql {
  const terms: Sql[] = [];
  if (f.search !== undefined) {
    const digits = f.search.replace(/\D/g, '');
    const byId = /^\d{1,18}$/.test(f.search) ? sql`e.user_id = ${f.search}::bigint OR ` : sql``;
    const byPhone = digits.length >= 3 ? sql` OR regexp_replace(c.phone, '\\D', '', 'g') LIKE ${`%${digits}%`}` : sql``;
    // A name matches in either order ("Ada Byron" or "Byron, Ada"): every word is in the full name.
    const words = f.search.toLowerCase().split(/[\s,]+/).filter((w) => w.length > 0).map((w) => `%${w.replace(/[\\%_]/g, '\\$&')}%`);
    terms.push(sql`(${byId}EXISTS (SELECT 1 FROM claimants c WHERE c.user_id = e.user_id
      AND ((lower(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')) LIKE ALL (${words}::text[]))${byPhone})))`);
  }
  if (f.hasCallback !== undefined) terms.push(f.hasCallback ? sql`e.callback_id IS NOT NULL` : sql`e.callback_id IS NULL`);
  if (f.escalationLevel !== undefined) terms.push(sql`e.escalation_level = ${f.escalationLevel}`);
  if (f.urgentSignature !== undefined) terms.push(sql`e.urgent_signature = ${f.urgentSignature}`);
  if (f.availableNow !== undefined) {
    terms.push(f.availableNow ? sql`(e.status = 'pending' AND e.available_from <= now())` : sql`(e.status = 'pending' AND e.available_from > now())`);
  }
  return terms.length === 0 ? sql`` : sql`AND ${joinSql(terms, ' AND ')}`;
}

/* listEntryPages */
export async function listEntryPages(em: EntityManager, store: QueueStore, requests: readonly EntryPageRequest[]): Promise<(EntryRow & { batch_key: number })[]> {
  const parts = requests.map((r, index) => {
    const after = r.after
      ? sql`AND (e.priority_score < ${r.after.priorityScore} OR (e.priority_score = ${r.after.priorityScore}
                 AND (e.available_from, e.id) > (${r.after.availableFrom}::timestamptz, ${r.after.id})))`
      : sql``;
    return sql`(SELECT q.*, ${index}::int AS batch_key FROM (${selectEntry(store, r.queueType)}
                 WHERE e.status IN ${statusIn(r.statuses)} ${after} ${filterTerms(r.filter)}
                 ORDER BY e.priority_score DESC, e.available_from, e.id
                 LIMIT ${r.limit}) q)`;
  });
  return queryRows(em, sql`/* listEntryPages */ ${joinSql(parts, ' UNION ALL ')}`);
}

/* entriesByIds */
export async function entriesByIds(em: EntityManager, store: QueueStore, ids: readonly number[]): Promise<EntryRow[]> {
  const parts = QUEUE_TYPES.map((t) => sql`${selectEntry(store, t)} WHERE e.id = ANY(${[...ids]}::bigint[])`);
  return queryRows(em, sql`/* entriesByIds */ ${joinSql(parts, ' UNION ALL ')}`);
}

/* liveEntriesByUsers */
export async function liveEntriesByUsers(em: EntityManager, store: QueueStore, userIds: readonly number[]): Promise<EntryRow[]> {
  const parts = QUEUE_TYPES.map((t) =>
    sql`${selectEntry(store, t)} WHERE e.user_id = ANY(${[...userIds]}::bigint[]) AND e.status IN ('pending', 'assigned')`);
  return queryRows(em, sql`/* liveEntriesByUsers */ ${joinSql(parts, ' UNION ALL ')}`);
}

/*
 * assignedEntriesByAgents: each agent's current entry — its latest assignment, one row per agent
 * however many entries it holds (an agent allowed several would otherwise send them all).
 */
export async function assignedEntriesByAgents(em: EntityManager, store: QueueStore, agentIds: readonly number[]): Promise<EntryRow[]> {
  const parts = QUEUE_TYPES.map((t) =>
    sql`(SELECT DISTINCT ON (e.assigned_to_agent_id) ${entryColumns(t)} FROM ${raw(QUEUE_TABLE[store][t])} e
          WHERE e.assigned_to_agent_id = ANY(${[...agentIds]}::int[]) AND e.status = 'assigned'
          ORDER BY e.assigned_to_agent_id, e.assigned_at DESC, e.id DESC)`);
  return queryRows(em, sql`/* assignedEntriesByAgents */
    SELECT DISTINCT ON (assigned_to_agent_id) * FROM (${joinSql(parts, ' UNION ALL ')}) latest
     ORDER BY assigned_to_agent_id, assigned_at DESC, id DESC`);
}

export interface QueueStatsRow {
  queue_type: QueueType;
  depth: number;
  available_now: number;
  assigned_count: number;
  oldest_pending_since: string | null;
  average_wait_seconds: number | null;
}

/** The live figures of the given queues, one row each (queue_type, depth, available_now, …): queueStats and the queue samples read them. */
export function queueFigures(store: QueueStore, queueTypes: readonly QueueType[]): Sql {
  const parts = queueTypes.map((t) => sql`
    SELECT ${raw(`'${t}'::text`)} AS queue_type,
           count(*) FILTER (WHERE status = 'pending')::int AS depth,
           count(*) FILTER (WHERE status = 'pending' AND available_from <= now())::int AS available_now,
           count(*) FILTER (WHERE status = 'assigned')::int AS assigned_count,
           min(enqueued_at) FILTER (WHERE status = 'pending') AS oldest_pending_since,
           (avg(extract(epoch FROM now() - enqueued_at)) FILTER (WHERE status = 'pending'))::float8 AS average_wait_seconds
      FROM ${raw(QUEUE_TABLE[store][t])}
     WHERE status IN ('pending', 'assigned')`);
  return joinSql(parts, ' UNION ALL ');
}

export interface QueueCountsRow {
  queue_type: QueueType;
  depth: number;
  assigned_count: number;
}

/*
 * queueCounts: pending and assigned entries per queue. In the separated tables the live count is
 * maintained (migration 0023's queue_live_counts: the sum of its changes) and the assigned
 * entries, a few, are counted by the status index; the legacy views are counted.
 */
export async function queueCounts(em: EntityManager, store: QueueStore, queueTypes: readonly QueueType[]): Promise<QueueCountsRow[]> {
  const parts = queueTypes.map((t) => {
    const assigned = sql`(SELECT count(*) FROM ${raw(QUEUE_TABLE[store][t])} WHERE status = 'assigned')`;
    const live = store === 'separated'
      ? sql`(SELECT coalesce(sum(delta), 0) FROM queue_live_counts WHERE queue_type = ${t})`
      : sql`(SELECT count(*) FROM ${raw(QUEUE_TABLE[store][t])} WHERE status IN ('pending', 'assigned'))`;
    return sql`SELECT ${raw(`'${t}'::text`)} AS queue_type, (live - assigned)::int AS depth, assigned::int AS assigned_count
      FROM (SELECT ${live} AS live, ${assigned} AS assigned) counted`;
  });
  return queryRows(em, sql`/* queueCounts */ ${joinSql(parts, ' UNION ALL ')}`);
}

/* compactLiveCounts: the maintained counts folded into one row per queue; how many rows went. */
export async function compactLiveCounts(em: EntityManager): Promise<number> {
  return (await queryOne<{ n: number }>(em, sql`/* compactLiveCounts */ SELECT callqueue_compact_live_counts() AS n`))!.n;
}

/* queueStats: live figures of the given queues, one row each, read from the live entries only. */
export async function queueStats(em: EntityManager, store: QueueStore, queueTypes: readonly QueueType[]): Promise<QueueStatsRow[]> {
  return queryRows(em, sql`/* queueStats */ ${queueFigures(store, queueTypes)}`);
}
