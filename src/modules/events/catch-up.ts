import type { EntityManager } from '@mikro-orm/postgresql';
import { NOTIFIED_AFTER_COMMIT, receivedFromLog, type ReceivedEvent } from './events.js';
import { isAfter, positionOf, type LogPosition } from './event-log.js';
import { committedAfter, logPosition, unreceivedAfterCommit } from './events.sql.js';

/**
 * What an instance's LISTEN connection missed, found in the event log. NOTIFY is not durable:
 * whatever committed while the connection was down never arrives. The instance remembers a
 * safe position — every logged event up to it has been received — and the cursors received
 * since; after a reconnect, every committed event after the safe position that was not received
 * is read from the log and handed to subscribers as if it had been notified. A notification that
 * arrives for an event already handed out that way is dropped, so none is seen twice.
 *
 * The safe position moves (advance) only while the connection stays up: it is the log's
 * commit-safe end (below the snapshot's xmin), all of whose events committed while this
 * instance listened or were caught up before. The hot writes notify after their commit, so a
 * writer that stops in between never sends its notification: advance hands such events out from
 * the log as it passes them.
 */
export class MissedEvents {
  private safe: LogPosition = { txid: '0', id: 0 };
  private readonly received = new Map<string, LogPosition>();

  constructor(private readonly em: () => EntityManager) {}

  async start(): Promise<void> {
    this.safe = (await logPosition(this.em())) ?? this.safe;
  }

  /** A notification arrived: false when its event was already handed out (drop it). */
  firstTime(cursor: string | undefined): boolean {
    if (cursor === undefined) return true;
    const position = positionOf(cursor);
    // Up to the safe position every event has been handed out: received, or found in the log.
    if (this.received.has(cursor) || !isAfter(position, this.safe)) return false;
    this.received.set(cursor, position);
    return true;
  }

  /**
   * While connected: the safe position moves to the log's commit-safe end, once `confirm` has
   * had an answer from the LISTEN connection itself. Every event up to that end committed before
   * it was read, so a backend alive until the answer had sent its notification ahead of it; a
   * connection killed meanwhile fails the query (a client may learn of a killed backend late:
   * its own "still connected" is no proof).
   */
  async advance(confirm: () => Promise<boolean>): Promise<ReceivedEvent[]> {
    const position = await logPosition(this.em());
    if (!position || !isAfter(position, this.safe) || !(await confirm())) return [];
    // Notified after their commit (migration 0025): one whose sender stopped before sending it
    // never comes. Those up to the new safe position are handed out now, from the log.
    const received = [...this.received].filter(([, p]) => !isAfter(p, position)).map(([cursor]) => cursor);
    const late = (await unreceivedAfterCommit(this.em(), this.safe, position, NOTIFIED_AFTER_COMMIT, received)).map(receivedFromLog);
    this.safe = position;
    for (const [cursor, p] of this.received) if (!isAfter(p, this.safe)) this.received.delete(cursor);
    return late;
  }

  /** After a reconnect: the committed events after the safe position not received, in log order. */
  async missed(): Promise<ReceivedEvent[]> {
    const missed: ReceivedEvent[] = [];
    let from = this.safe;
    for (;;) {
      const rows = await committedAfter(this.em(), from, 1000);
      for (const row of rows) {
        const event = receivedFromLog(row);
        if (this.firstTime(event.cursor)) missed.push(event);
      }
      if (rows.length < 1000) return missed;
      from = { txid: rows.at(-1)!.txid, id: Number(rows.at(-1)!.id) };
    }
  }
}
