import type { EntityManager } from '@mikro-orm/postgresql';
import { toDate } from '../../db/sql.js';
import { badInput } from '../errors.js';
import { cursorExpired, eventsAfter, eventsHeldBack, logPosition, type EventRow } from './events.sql.js';

/** A cursor is the (txid, id) of an event, opaque to clients. */
export function encodeEventCursor(txid: string, id: number | string): string {
  return Buffer.from(`${txid}:${id}`).toString('base64url');
}

export function decodeEventCursor(cursor: string): { txid: string; id: number } {
  const match = /^(\d{1,20}):(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw badInput('after is not a cursor of the event log');
  return { txid: match[1]!, id: Number(match[2]) };
}

/** A place in the log: the writing transaction's id and the event's id. */
export interface LogPosition { txid: string; id: number }

/** Whether `a` comes after `b` in log order ((txid, id), as the queries sort). */
export const isAfter = (a: { txid: string; id: number | string }, b: LogPosition) =>
  BigInt(a.txid) > BigInt(b.txid) || (a.txid === b.txid && Number(a.id) > b.id);

/** The "txid:id" an event carries in its notification, as a position. */
export function positionOf(raw: string): LogPosition {
  const [txid, id] = raw.split(':');
  return { txid: txid!, id: Number(id) };
}

/** The public cursor of the "txid:id" an event carries in its notification. */
export const cursorOf = (raw: string) => encodeEventCursor(...(raw.split(':') as [string, string]));

/** A row of the log with its cursor, as the API hands it out. */
export type LoggedEventRecord = EventRow & { cursor: string };

export interface EventPage {
  edges: { cursor: string; node: LoggedEventRecord }[];
  nodes: LoggedEventRecord[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A cursor whose event the retention has deleted cannot be resumed without a gap: refused, naming the oldest cursor. */
async function refuseExpired(em: EntityManager, after: { txid: string; id: number }): Promise<void> {
  const oldest = await cursorExpired(em, after);
  if (oldest) {
    const cursor = encodeEventCursor(oldest.txid, oldest.id);
    throw badInput(`after is older than the event log keeps (EVENT_RETENTION_DAYS): events after it were deleted; the oldest cursor available is ${cursor}`,
      { oldestCursor: cursor });
  }
}

/** events(after, types, userId, first): a page of the log, commit-safe (see eventsAfter). */
export async function readEvents(
  em: EntityManager, args: { after: string | null; types: string[] | null; userId: number | null; first: number },
): Promise<EventPage> {
  const after = args.after ? decodeEventCursor(args.after) : { txid: '0', id: 0 };
  if (args.after) await refuseExpired(em, after);
  const rows = await eventsAfter(em, after, { types: args.types, userId: args.userId }, args.first + 1);
  const nodes = rows.slice(0, args.first).map((r) => ({ ...r, cursor: encodeEventCursor(r.txid, r.id) }));
  return {
    edges: nodes.map((node) => ({ cursor: node.cursor, node })), nodes,
    pageInfo: { hasNextPage: rows.length > args.first, endCursor: nodes.at(-1)?.cursor ?? args.after },
  };
}

/**
 * The log followed from a cursor (or from now): each wake-up reads what follows the stream's
 * own cursor, in log order, so a client resuming from its last cursor gets exactly what it
 * missed — no gap, no duplicate — and a wake-up lost with a LISTEN connection is made good by
 * the next one. While events exist that the horizon still holds back, it looks again shortly.
 */
export async function* followLog<T>(
  em: () => EntityManager, wakes: AsyncIterator<unknown>, after: string | null, select: (e: LoggedEventRecord) => T | null,
  recheck: () => void,
): AsyncGenerator<T> {
  let cursor = after ? decodeEventCursor(after) : (await logPosition(em())) ?? { txid: '0', id: 0 };
  if (after) await refuseExpired(em(), cursor);
  for (;;) {
    for (;;) {
      const rows = await eventsAfter(em(), cursor, { types: null, userId: null }, 500);
      for (const row of rows) {
        // Never behind the cursor (the query says so); kept explicit, as the stream's promise.
        if (!isAfter(row, cursor)) continue;
        cursor = { txid: row.txid, id: Number(row.id) };
        const item = select({ ...row, cursor: encodeEventCursor(row.txid, row.id) });
        if (item !== null) yield item;
      }
      if (rows.length < 500) break;
    }
    if (await eventsHeldBack(em(), cursor)) recheck();
    if ((await wakes.next()).done) return;
  }
}

/** The field naming an event's subject, by type (the typed view of LoggedEvent and of webhook bodies). */
export const SUBJECT_FIELD: Readonly<Record<string, string>> = {
  CALLBACK_DUE: 'callbackId', CALLBACK_SCHEDULED: 'callbackId', CALLBACK_CLOSED: 'callbackId',
  CALL_STARTED: 'callSessionId', CALL_ENDED: 'callSessionId', CLAIMANT_CHANGED: 'requirementId', CALL_REQUEST_UPDATED: 'callRequestId', CONVERSION_RECORDED: 'conversionId', MIGRATION_PROGRESS: 'migrationRunId',
};

/** An event as JSON for integrators (a webhook's `data`): the fields of LoggedEvent that it has, ids as strings. */
export function eventData(e: EventRow): Record<string, string> {
  const data: Record<string, string> = {
    id: String(e.id), cursor: encodeEventCursor(e.txid, e.id), type: e.type, at: toDate(e.at)!.toISOString(),
  };
  if (e.queue_type !== null) data.queueType = e.queue_type.toUpperCase(); // the API's enum names
  if (e.user_id !== null) data.userId = String(e.user_id);
  if (e.entry_id !== null) data.entryId = String(e.entry_id);
  const subject = SUBJECT_FIELD[e.type];
  if (subject && e.subject_id !== null) data[subject] = String(e.subject_id);
  if (e.agent_id !== null && e.agent_id !== undefined) data.agentId = String(e.agent_id);
  if (e.detail !== null && e.detail !== undefined) data.detail = e.detail;
  return data;
}
