import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../errors.js';
import { eventsAfter, type EventRow } from './events.sql.js';

/** A cursor is the (txid, id) of an event, opaque to clients. */
export function encodeEventCursor(txid: string, id: number | string): string {
  return Buffer.from(`${txid}:${id}`).toString('base64url');
}

function decodeEventCursor(cursor: string): { txid: string; id: number } {
  const match = /^(\d{1,20}):(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw badInput('after is not a cursor of the event log');
  return { txid: match[1]!, id: Number(match[2]) };
}

/** A row of the log with its cursor, as the API hands it out. */
export type LoggedEventRecord = EventRow & { cursor: string };

export interface EventPage {
  events: LoggedEventRecord[];
  endCursor: string | null;
  hasMore: boolean;
}

/** events(after, types, userId, first): a page of the log, commit-safe (see eventsAfter). */
export async function readEvents(
  em: EntityManager, args: { after: string | null; types: string[] | null; userId: number | null; first: number },
): Promise<EventPage> {
  const after = args.after ? decodeEventCursor(args.after) : { txid: '0', id: 0 };
  const rows = await eventsAfter(em, after, { types: args.types, userId: args.userId }, args.first + 1);
  const events = rows.slice(0, args.first).map((r) => ({ ...r, cursor: encodeEventCursor(r.txid, r.id) }));
  return { events, endCursor: events.at(-1)?.cursor ?? args.after, hasMore: rows.length > args.first };
}
