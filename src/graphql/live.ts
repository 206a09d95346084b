import { Mailbox } from '../modules/events/mailbox.js';
import type { EventHub, HubSignal } from '../modules/events/listener.js';
import { badInput } from '../modules/errors.js';
import type { GraphQLContext } from './context.js';

/** What a WebSocket connection adds to the context: the instance's events and a way out. */
export interface LiveConnection {
  hub: EventHub;
  /** Events one subscription may hold for a client that is not reading. */
  bufferLimit: number;
  /** queueStats snapshots are sent no more often than this. */
  statsIntervalMs: number;
  /** Closes the client's connection with a WebSocket close code and reason. */
  drop(code: number, reason: string): void;
}

/** Policy violation: the client does not read its events fast enough. */
export const SLOW_CLIENT_CLOSE_CODE = 1008;

export interface SubscribeOptions<T> {
  /** Sent at once, before any event (a snapshot). */
  initial?: T;
  /** Keep only the newest waiting item and rate-limit them (snapshots, not events). */
  coalesce?: boolean;
}

/**
 * The source stream of a subscription: the hub's signals that `select` keeps, buffered per
 * subscriber. Before each item is resolved the context gets a fresh EntityManager and fresh
 * DataLoaders, so every event reads current rows and nothing is cached between events.
 */
export function subscribeTo<T>(
  ctx: GraphQLContext, select: (signal: HubSignal) => T | null, options: SubscribeOptions<T> = {},
): AsyncIterableIterator<T> {
  const live = ctx.live;
  if (!live) throw badInput('subscriptions are served over WebSocket (graphql-ws) on /graphql, not over HTTP');
  let unsubscribe = () => {};
  const mailbox = new Mailbox<T>({
    limit: live.bufferLimit,
    coalesce: options.coalesce ? { minIntervalMs: live.statsIntervalMs } : undefined,
    onOverflow: () => live.drop(SLOW_CLIENT_CLOSE_CODE,
      `too slow: more than ${live.bufferLimit} events waiting; reconnect and resubscribe`),
    onClose: () => unsubscribe(),
  });
  unsubscribe = live.hub.on((signal) => {
    const item = select(signal);
    if (item !== null) mailbox.push(item);
  });
  if (options.initial !== undefined) mailbox.push(options.initial);
  return {
    async next() {
      const result = await mailbox.next();
      if (!result.done) ctx.renew();
      return result;
    },
    return: () => mailbox.return(),
    throw: (error: unknown) => mailbox.throw(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
