import { Mailbox } from '../modules/events/mailbox.js';
import type { HubSignal } from '../modules/events/hub.js';
import { badInput } from '../modules/errors.js';
import type { GraphQLContext } from './context.js';

/** Policy violation: the client does not read its events fast enough. */
export const SLOW_CLIENT_CLOSE_CODE = 1008;

export interface SubscribeOptions<T> {
  /** Sent at once, before any event (a snapshot). */
  initial?: T;
  /**
   * Keep only the newest waiting item and rate-limit them (snapshots, not events): at most
   * every QUEUE_STATS_INTERVAL_MS, or every `intervalMs` when given.
   */
  coalesce?: boolean;
  intervalMs?: number;
  /**
   * Signals that only say "something may have moved" (a line freed: every waiting request's
   * position shifts): at most one waits per subscriber and it is handed out on the next tick of
   * a clock every `intervalMs`, shared by the instance's subscribers, so that they still resolve
   * it together; the other signals go at once.
   */
  broadcast?: { is: (signal: HubSignal) => boolean; intervalMs: number };
}

/** The WebSocket side of a subscription's context; refused over HTTP. */
export function liveOf(ctx: GraphQLContext): NonNullable<GraphQLContext['live']> {
  if (!ctx.live) throw badInput('subscriptions are served over WebSocket (graphql-ws) on /graphql, not over HTTP');
  return ctx.live;
}

/**
 * The source stream of a subscription: the hub's signals that `select` keeps, buffered per
 * subscriber. Before each item is resolved the context gets the EntityManager and DataLoaders
 * of that event: fresh per event, so every event reads current rows and nothing is cached
 * between events, and shared by the instance's subscribers of the event, so 250 dashboards
 * resolving one event's entry cost one statement, not 250.
 */
export function subscribeTo<T>(
  ctx: GraphQLContext, select: (signal: HubSignal) => T | null, options: SubscribeOptions<T> = {},
): AsyncIterableIterator<T> {
  const live = liveOf(ctx);
  let unsubscribe = () => {};
  let broadcastTimer: NodeJS.Timeout | null = null;
  let broadcast: { item: T; signal: HubSignal } | null = null;
  const mailbox = new Mailbox<{ item: T; signal: HubSignal | null }>({
    limit: live.bufferLimit,
    coalesce: options.coalesce ? { minIntervalMs: options.intervalMs ?? live.statsIntervalMs } : undefined,
    onOverflow: () => live.drop(SLOW_CLIENT_CLOSE_CODE,
      `too slow: more than ${live.bufferLimit} events waiting; reconnect and resubscribe`),
    onClose: () => {
      if (broadcastTimer) clearTimeout(broadcastTimer);
      unsubscribe();
    },
  });
  const offerBroadcast = (waiting: { item: T; signal: HubSignal }, intervalMs: number) => {
    // The newest waits (all subscribers hold the same signal at a tick: one read scope).
    broadcast = waiting;
    broadcastTimer ??= setTimeout(() => {
      broadcastTimer = null;
      if (broadcast) mailbox.push(broadcast);
      broadcast = null;
    }, intervalMs - (Date.now() % intervalMs));
  };
  unsubscribe = live.hub.on((signal) => {
    const item = select(signal);
    if (item === null) return;
    if (options.broadcast?.is(signal)) offerBroadcast({ item, signal }, options.broadcast.intervalMs);
    else mailbox.push({ item, signal });
  });
  if (options.initial !== undefined) mailbox.push({ item: options.initial, signal: null });
  return {
    async next() {
      const result = await mailbox.next();
      if (result.done) return result;
      ctx.renew(result.value.signal);
      return { value: result.value.item, done: false };
    },
    return: async () => {
      await mailbox.return();
      return { value: undefined, done: true };
    },
    throw: async (error: unknown) => {
      await mailbox.return();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
