import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, sql } from '../../db/sql.js';
import type { QueueSettings } from '../operation.js';
import type { CallSession } from './call.entity.js';
import { toSession } from './lines.sql.js';

/* dispatch: the database's callqueue_dispatch (migration 0020); the lines still free afterwards. */
export async function dispatchRequests(em: EntityManager, settings: QueueSettings): Promise<number> {
  const row = await queryOne<{ free: number }>(em, sql`/* dispatch */
    SELECT callqueue_dispatch(${settings.lines.maxWaitSeconds}, ${settings.window.startMinute}, ${settings.window.endMinute},
      ${settings.dailyAttemptCap}) AS free`);
  return row!.free;
}

/* endSession: the database's callqueue_end_session (migration 0020) — the session's end, its line freed and dispatched. */
export async function endSessionAndDispatch(em: EntityManager, sessionId: number, outcome: string, settings: QueueSettings): Promise<CallSession> {
  const row = await queryOne<{ session: Record<string, unknown> }>(em, sql`/* endSession */
    SELECT callqueue_end_session(${sessionId}, ${outcome}, ${settings.lines.maxWaitSeconds}, ${settings.window.startMinute},
      ${settings.window.endMinute}, ${settings.dailyAttemptCap}) AS session`);
  return toSession(row!.session);
}
