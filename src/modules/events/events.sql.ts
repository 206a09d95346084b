import type { EntityManager } from '@mikro-orm/postgresql';
import { queryRows, raw, sql } from '../../db/sql.js';

/* notify: delivered to every listener when (and only if) the calling transaction commits, in commit order. */
export async function notify(em: EntityManager, channel: string, payload: string): Promise<void> {
  await queryRows(em, sql`/* notify */ SELECT pg_notify(${channel}, ${payload})`);
}

export interface LoggedEvent {
  type: string;
  queueType: string | null;
  userId: number | null;
  entryId: number | null;
  subjectId: number | null;
  agentId?: number | null;
}

/*
 * logAndNotify: the event's row in event_log and its notification, in one statement of the
 * transaction that made the change (the hot paths send no extra statement for the log).
 */
export async function logAndNotify(em: EntityManager, channel: string, payload: string, e: LoggedEvent): Promise<void> {
  await queryRows(em, sql`/* logAndNotify */
    WITH logged AS (
      INSERT INTO event_log (type, queue_type, user_id, entry_id, subject_id, agent_id)
      VALUES (${e.type}, ${e.queueType}, ${e.userId}, ${e.entryId}, ${e.subjectId}, ${e.agentId ?? null}) RETURNING id, txid)
    SELECT pg_notify(${channel}, (${payload}::jsonb || jsonb_build_object('cursor', txid::text || ':' || id))::text) FROM logged`);
}

const EVENT_COLUMNS = sql`id, txid::text AS txid, type, queue_type, user_id, entry_id, subject_id, agent_id, detail, at`;

/*
 * Log order: by the table's columns, named with the table. The selected `txid` is text (a
 * cursor's part), and a bare ORDER BY txid would sort by that output column: "1000" before
 * "997" — events handed out of order, and the one passed over skipped by the cursor.
 */
const LOG_ORDER = raw('event_log.txid, event_log.id');

export interface EventRow {
  id: number;
  txid: string;
  type: string;
  queue_type: string | null;
  user_id: number | null;
  entry_id: number | null;
  subject_id: number | null;
  agent_id: number | null;
  detail?: string | null;
  at: string;
}

/*
 * eventsAfter: events after the cursor (txid, id) in (txid, id) order, only of transactions
 * below this statement's snapshot xmin — all of them have ended, so nothing older can still
 * appear later; newer events wait until every older transaction has ended.
 */
export async function eventsAfter(
  em: EntityManager, after: { txid: string; id: number }, filter: { types: string[] | null; userId: number | null }, limit: number,
): Promise<EventRow[]> {
  return queryRows<EventRow>(em, sql`/* eventsAfter */
    SELECT ${EVENT_COLUMNS} FROM event_log
     WHERE txid < pg_snapshot_xmin(pg_current_snapshot())
       AND (txid, id) > (${after.txid}::xid8, ${after.id}::bigint)
       AND (${filter.types}::text[] IS NULL OR type = ANY(${filter.types}::text[]))
       AND (${filter.userId}::bigint IS NULL OR user_id = ${filter.userId}::bigint)
     ORDER BY ${LOG_ORDER} LIMIT ${limit}`);
}

/* pruneEvents: events older than the retention. */
export async function pruneEvents(em: EntityManager, retentionDays: number): Promise<number> {
  const rows = await queryRows<{ n: number }>(em, sql`/* pruneEvents */
    WITH gone AS (DELETE FROM event_log WHERE at < now() - make_interval(days => ${retentionDays}) RETURNING 1) SELECT count(*)::int AS n FROM gone`);
  return rows[0]!.n;
}

/* logPosition: the last event handed out now (below the snapshot xmin), as a cursor's parts; null for an empty log. */
export async function logPosition(em: EntityManager): Promise<{ txid: string; id: number } | null> {
  const rows = await queryRows<{ txid: string; id: number }>(em, sql`/* logPosition */
    SELECT txid::text AS txid, id FROM event_log WHERE txid < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY event_log.txid DESC, event_log.id DESC LIMIT 1`);
  return rows[0] ?? null;
}

/* eventsHeldBack: whether events after the cursor exist that are not handed out yet (an older transaction still runs). */
export async function eventsHeldBack(em: EntityManager, after: { txid: string; id: number }): Promise<boolean> {
  const rows = await queryRows<{ held: boolean }>(em, sql`/* eventsHeldBack */
    SELECT EXISTS (SELECT 1 FROM event_log WHERE (txid, id) > (${after.txid}::xid8, ${after.id}::bigint)) AS held`);
  return rows[0]!.held;
}

/*
 * cursorExpired: the oldest event the log keeps, when the cursor's own event is gone and lies
 * before it (the retention deleted what followed the cursor); null when the cursor is still good.
 */
export async function cursorExpired(em: EntityManager, at: { txid: string; id: number }): Promise<{ txid: string; id: number } | null> {
  const rows = await queryRows<{ txid: string; id: number }>(em, sql`/* cursorExpired */
    SELECT o.txid::text AS txid, o.id FROM (SELECT txid, id FROM event_log ORDER BY txid, id LIMIT 1) o
     WHERE (${at.txid}::xid8, ${at.id}::bigint) < (o.txid, o.id)
       AND NOT EXISTS (SELECT 1 FROM event_log WHERE txid = ${at.txid}::xid8 AND id = ${at.id})`);
  return rows[0] ?? null;
}

/*
 * committedAfter: every committed event after the position, whatever older transactions still
 * run (no horizon): what an instance whose LISTEN connection dropped may have missed.
 */
export async function committedAfter(em: EntityManager, after: { txid: string; id: number }, limit: number): Promise<EventRow[]> {
  return queryRows<EventRow>(em, sql`/* committedAfter */
    SELECT ${EVENT_COLUMNS} FROM event_log WHERE (txid, id) > (${after.txid}::xid8, ${after.id}::bigint) ORDER BY ${LOG_ORDER} LIMIT ${limit}`);
}

/*
 * unreceivedAfterCommit: the events of `types` in (from, to] — those whose notifications are
 * sent after their write's commit (migration 0025) — whose cursors are not among `received`: a
 * notification that was never sent because its sender stopped between the two.
 */
export async function unreceivedAfterCommit(
  em: EntityManager, from: { txid: string; id: number }, to: { txid: string; id: number }, types: readonly string[], received: string[],
): Promise<EventRow[]> {
  return queryRows<EventRow>(em, sql`/* unreceivedAfterCommit */
    SELECT ${EVENT_COLUMNS} FROM event_log
     WHERE (txid, id) > (${from.txid}::xid8, ${from.id}::bigint) AND (txid, id) <= (${to.txid}::xid8, ${to.id}::bigint)
       AND type = ANY(${types}::text[])
       AND txid::text || ':' || id NOT IN (SELECT unnest(${received}::text[]))
     ORDER BY ${LOG_ORDER}`);
}
