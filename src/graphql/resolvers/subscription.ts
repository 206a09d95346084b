import { parseId } from '../../modules/ids.js';
import { forbidden } from '../../modules/errors.js';
import type { QueueChangedEvent } from '../../modules/events/events.js';
import type { HubSignal } from '../../modules/events/hub.js';
import type { QueueType } from '../../modules/queue-type.js';
import { requireRole } from '../auth.js';
import type { GraphQLContext } from '../context.js';
import type { Resolvers, SubscriptionResolvers } from '../generated/resolvers-types.js';
import { subscribeTo } from '../live.js';
import { resumable } from './events.js';
import { cursorOf } from '../../modules/events/event-log.js';
import { listAgents } from '../../modules/agent/agent.service.js';

/** The agent whose callbacks a caller may follow: an AGENT key only its own. */
function callbackAgent(ctx: GraphQLContext, agentId: string | null | undefined): number | null {
  const caller = requireRole(ctx, 'VIEWER');
  const requested = agentId == null ? null : parseId(agentId, 'agentId');
  if (caller.role !== 'AGENT') return requested;
  if (requested !== null && requested !== caller.agentId) {
    throw forbidden(`an AGENT key receives the callbacks of agent ${caller.agentId} only, not of agent ${requested}`);
  }
  return caller.agentId;
}


/** Snapshots of agents and lines: at most once a second. */
const BOARD_INTERVAL_MS = 1000;

/**
 * A board's snapshot subscription: the current state at once, then re-read after any of
 * `topics` (and after a resync). Boards are read by people: once a second is live enough, and
 * spares the claims the reads.
 */
function boardSnapshot(field: string, topics: HubSignal['topic'][], load: (ctx: GraphQLContext) => Promise<unknown>) {
  return {
    subscribe: (_: unknown, __: unknown, ctx: GraphQLContext) => {
      requireRole(ctx, 'VIEWER');
      const snapshot = { [field]: 'now' };
      return subscribeTo(ctx, (s) => (s.topic === 'resync' || topics.includes(s.topic) ? snapshot : null),
        { initial: snapshot, coalesce: true, intervalMs: BOARD_INTERVAL_MS });
    },
    resolve: (_: unknown, __: unknown, ctx: GraphQLContext) => load(ctx) as never,
  };
}

const Subscription: SubscriptionResolvers = {
  queueChanged: {
    subscribe: (_, { queueType, after }, ctx) => {
      requireRole(ctx, 'VIEWER');
      return resumable(ctx, after, (s) =>
        s.topic === 'queueChanged' && (!queueType || s.queueType === queueType) ? { queueChanged: s } : null);
    },
  },
  queueStats: {
    subscribe: (_, { queueType }, ctx) => {
      requireRole(ctx, 'VIEWER');
      const snapshot = { queueStats: { type: queueType as QueueType } };
      // A resync means events may have been missed while the listener was away: re-read.
      return subscribeTo(ctx, (s) =>
        s.topic === 'resync' || (s.topic === 'queueChanged' && s.queueType === queueType) ? snapshot : null,
      { initial: snapshot, coalesce: true });
    },
  },
  callbackDue: {
    subscribe: (_, { agentId, after }, ctx) => {
      const agent = callbackAgent(ctx, agentId);
      return resumable(ctx, after, (s) =>
        s.topic === 'callbackDue' && (agent === null || s.agentId === agent) ? { callbackId: s.callbackId } : null);
    },
    resolve: (item: { callbackId: number }, _: unknown, ctx: GraphQLContext) => ctx.loaders.callback.load(item.callbackId) as never,
  },
  conversionRecorded: {
    subscribe: (_, { after }, ctx) => {
      requireRole(ctx, 'VIEWER');
      return resumable(ctx, after, (s) => (s.topic === 'conversionRecorded' ? { conversionId: s.conversionId } : null));
    },
    resolve: (item: { conversionId: number }, _: unknown, ctx: GraphQLContext) => ctx.loaders.conversion.load(item.conversionId) as never,
  },
  agentsChanged: boardSnapshot('agentsChanged', ['queueChanged', 'linesChanged'], (ctx) => listAgents(ctx.em)),
  lineStatusChanged: boardSnapshot('lineStatusChanged', ['linesChanged', 'callRequestUpdated'], (ctx) => ctx.loaders.lineFigures.load('now')),
  liveStatus: {
    subscribe: (_, __, ctx) => {
      requireRole(ctx, 'VIEWER');
      const state = (eventsFlowing: boolean) => ({ liveStatus: { eventsFlowing, at: new Date() } });
      return subscribeTo(ctx, (s) => (s.topic === 'liveStatus' ? state(s.eventsFlowing) : null),
        { initial: state(ctx.live?.hub.eventsFlowing ?? false) });
    },
  },
};

export const subscriptionResolvers: Resolvers = {
  Subscription,
  QueueEvent: {
    userId: (e: QueueChangedEvent) => e.userId,
    entry: (e: QueueChangedEvent, _, ctx) => (e.entryId === null ? null : ctx.loaders.entry.load(e.entryId)),
    at: (e: QueueChangedEvent) => e.at,
    cursor: (e: QueueChangedEvent) => (e.cursor ? cursorOf(e.cursor) : null),
  },
};
