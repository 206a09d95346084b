import { decodeEventCursor, followLog, readEvents, SUBJECT_FIELD, type LoggedEventRecord as Row } from '../../modules/events/event-log.js';
import { receivedFromLog } from '../../modules/events/events.js';
import type { HubSignal } from '../../modules/events/hub.js';
import { Mailbox } from '../../modules/events/mailbox.js';
import { liveOf, subscribeTo, type SubscribeOptions } from '../live.js';
import type { GraphQLContext } from '../context.js';
import { parseUserId } from '../../modules/ids.js';
import { checkPageSize } from '../../modules/pagination.js';
import { requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';

/** The subject of an event, under the field its type names. */
const subject = (field: string) => (e: Row) => (SUBJECT_FIELD[e.type] === field ? e.subject_id : null);

export const eventResolvers: Resolvers = {
  Query: {
    events: (_, { after, types, userId, first }, ctx) => {
      requireRole(ctx, 'VIEWER');
      return readEvents(ctx.em, {
        after: after ?? null, types: types?.length ? types : null, userId: userId ? parseUserId(userId) : null,
        first: checkPageSize(first, 100, ctx.config.MAX_PAGE_SIZE),
      });
    },
  },
  Subscription: {
    eventLog: {
      subscribe: (_, { after, types, userId }, ctx) => {
        requireRole(ctx, 'VIEWER');
        const user = userId ? String(parseUserId(userId)) : null;
        const wanted = types?.length ? new Set<string>(types) : null;
        return logSubscription(ctx, after ?? null,
          (e) => ((!wanted || wanted.has(e.type)) && (!user || String(e.user_id) === user) ? { eventLog: e } : null));
      },
    },
  },
  LoggedEvent: {
    queueType: (e: Row) => e.queue_type as never,
    userId: (e: Row) => e.user_id,
    entryId: (e: Row) => e.entry_id,
    agentId: (e: Row) => e.agent_id,
    callbackId: subject('callbackId'),
    callRequestId: subject('callRequestId'),
    conversionId: subject('conversionId'),
    migrationRunId: subject('migrationRunId'),
    callSessionId: subject('callSessionId'),
    requirementId: subject('requirementId'),
    detail: (e: Row) => e.detail ?? null,
  },
};

/**
 * A subscription fed by the event log from a cursor (or from now): woken by every announced
 * change (and by a resync after a lost LISTEN connection), coalesced; each event is resolved
 * with fresh loaders, like any subscription event.
 */
export function logSubscription<T>(
  ctx: GraphQLContext, after: string | null, select: (e: Row) => T | null,
): AsyncIterableIterator<T> {
  const live = liveOf(ctx);
  if (after) decodeEventCursor(after); // a bad cursor is refused before anything runs
  let unsubscribe = () => {};
  const wakes = new Mailbox<true>({ limit: 1, coalesce: { minIntervalMs: 20 }, onClose: () => unsubscribe() });
  unsubscribe = live.hub.on((s) => { if (s.topic !== 'liveStatus') wakes.push(true); });
  let timer: NodeJS.Timeout | null = null;
  const recheck = () => { timer ??= setTimeout(() => { timer = null; wakes.push(true); }, 200); };
  const stream = followLog(() => ctx.em.fork(), wakes, after, select, recheck);
  const close = async () => {
    if (timer) clearTimeout(timer);
    await wakes.return();
  };
  return {
    next: async () => {
      const r = await stream.next();
      if (r.done) return r;
      ctx.renew(null);
      return { value: r.value, done: false };
    },
    return: async () => { await close(); await stream.return(undefined as never); return { value: undefined, done: true }; },
    throw: async (error: unknown) => { await close(); return stream.throw(error) as never; },
    [Symbol.asyncIterator]() { return this; },
  };
}

/**
 * An event subscription that can resume: live from this instance's events, or — with `after`,
 * an event-log cursor — replayed from the log after it and then followed there, with no gap
 * and no duplicate. One `select` decides both ways (a logged row is turned back into the event
 * it records), so a resumed stream carries exactly what a live one would have.
 */
export function resumable<T>(
  ctx: GraphQLContext, after: string | null | undefined, select: (signal: HubSignal) => T | null, options: SubscribeOptions<T> = {},
): AsyncIterableIterator<T> {
  if (after) return logSubscription(ctx, after, (row) => select(receivedFromLog(row)));
  return subscribeTo(ctx, select, options);
}
