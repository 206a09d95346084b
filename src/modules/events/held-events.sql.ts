import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, sql, type Sql } from '../../db/sql.js';

/*
 * A hot write whose events are notified after its commit (migration 0025): `call` — one SQL
 * expression, a write function's call — runs with its statement's outbox open, so the
 * notifications it publishes are held instead of sent from its transaction; once the statement
 * has committed, they are sent in a statement of their own, whose commit waits for no WAL flush
 * (a notification needs no durability: the event's log row is the write's, and a notification
 * lost here is read from the log by every listener at its next safe point).
 *
 * The inner select (OFFSET 0: never merged into the outer one) opens the outbox before the call
 * runs and the outer one takes it after. Inside a caller's transaction the notifications are sent
 * in it, as any other, and its durability is left alone.
 */
export async function writeThenNotify<T>(em: EntityManager, call: Sql): Promise<T> {
  const row = await queryOne<{ result: T; held: string[] }>(em, sql`/* heldEvents */
    SELECT w.result, callqueue_outbox_take() AS held
      FROM (SELECT ${call} AS result FROM callqueue_outbox_open() OFFSET 0) w`);
  if (row!.held.length > 0) await sendHeld(em, row!.held);
  return row!.result;
}

async function sendHeld(em: EntityManager, held: string[]): Promise<void> {
  const durability = em.isInTransaction() ? sql`` : sql`set_config('synchronous_commit', 'off', true),`;
  await queryOne(em, sql`/* sendHeldEvents */
    SELECT ${durability} (SELECT count(pg_notify('callqueue_events', n)) FROM unnest(${held}::text[]) n) AS sent`);
}
