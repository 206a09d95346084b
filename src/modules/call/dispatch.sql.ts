import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, sql } from '../../db/sql.js';
import type { QueueSettings } from '../operation.js';
import type { CallSession, CallType } from './call.entity.js';
import { CALL_PRIORITY, toSession } from './lines.sql.js';

/* dispatch: the database's callqueue_dispatch (migration 0020); the lines still free afterwards. */
export async function dispatchRequests(em: EntityManager, settings: QueueSettings): Promise<number> {
  const row = await queryOne<{ free: number }>(em, sql`/* dispatch */
    SELECT callqueue_dispatch(${settings.lines.maxWaitSeconds}, ${settings.window.startMinute}, ${settings.window.endMinute},
      ${settings.dailyAttemptCap}) AS free`);
  return row!.free;
}

/*
 * endCall: the database's callqueue_end_call (migration 0021) — the session's refusals, the
 * outcome counted (on the claimant's entry when its agent holds it; a conversion included), the
 * session's end with its line freed and dispatched. The session as it is after.
 */
export async function endCallWithOutcome(
  em: EntityManager, sessionId: number, agentId: number | null, outcome: string, actor: string, settings: QueueSettings,
): Promise<CallSession> {
  const row = await queryOne<{ session: Record<string, unknown> }>(em, sql`/* endCall */
    SELECT callqueue_end_call(${sessionId}, ${agentId}::bigint, ${outcome}, ${actor}, ${settings.cooldownMinutes[outcome] ?? 0},
      ${settings.dailyAttemptCap}, ${settings.lines.maxWaitSeconds}, ${settings.window.startMinute}, ${settings.window.endMinute}) AS session`);
  return toSession(row!.session);
}

/*
 * initiateCall: the database's callqueue_initiate_call (migration 0021) — the refusals, then the
 * waiting requests first, then a session on a free line, or a request in the line (its id).
 */
export async function startOrQueueCall(
  em: EntityManager, c: { userId: number; agentId: number; callType: CallType; campaignId: number | null; overrideReason: string | null },
  settings: QueueSettings,
): Promise<{ session: CallSession } | { requestId: number }> {
  const row = await queryOne<{ started: { session?: Record<string, unknown>; request_id?: number } }>(em, sql`/* initiateCall */
    SELECT callqueue_initiate_call(${c.userId}, ${c.agentId}, ${c.callType}, ${CALL_PRIORITY[c.callType]}, ${c.campaignId}::bigint,
      ${c.overrideReason}::text, ${settings.lines.maxWaitSeconds}, ${settings.window.startMinute}, ${settings.window.endMinute},
      ${settings.dailyAttemptCap}) AS started`);
  const started = row!.started;
  return started.session ? { session: toSession(started.session) } : { requestId: Number(started.request_id) };
}
