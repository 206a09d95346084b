import { parseId, parseUserId } from '../../modules/ids.js';
import { entryPageRequest } from '../../modules/queue/queue.service.js';
import { QUEUE_TYPES } from '../../modules/queue-type.js';
import type { QueueEntryRecord } from '../../modules/queue/queue-entry.js';
import { requireRole } from '../auth.js';
import type { GraphQLContext } from '../context.js';
import type { QueueResolvers, QueryResolvers, Resolvers } from '../generated/resolvers-types.js';

/** Relations every entry type resolves the same way, through the request's loaders. */
const entryRelations = {
  assignedAgent: (e: QueueEntryRecord, _: unknown, ctx: GraphQLContext) =>
    e.assignedToAgentId === null ? null : ctx.loaders.agent.load(e.assignedToAgentId),
  score: (e: QueueEntryRecord, _: unknown, ctx: GraphQLContext) => ctx.loaders.score.load(e.userId),
  claimant: (e: QueueEntryRecord, _: unknown, ctx: GraphQLContext) => ctx.loaders.claimant.load(e.userId),
  callback: (e: QueueEntryRecord, _: unknown, ctx: GraphQLContext) =>
    e.callbackId === null ? null : ctx.loaders.callback.load(e.callbackId),
  leaseExpiresAt: async (e: QueueEntryRecord, _: unknown, ctx: GraphQLContext) =>
    (e.status === 'assigned' ? (await ctx.loaders.leaseByEntry.load(e.id))?.expiresAt ?? null : null),
};

const Query: QueryResolvers = {
  queues: (_, __, ctx) => {
    requireRole(ctx, 'VIEWER');
    return QUEUE_TYPES.map((type) => ({ type }));
  },
  queue: (_, { type }, ctx) => {
    requireRole(ctx, 'VIEWER');
    return { type };
  },
  queueEntry: (_, { id }, ctx) => {
    requireRole(ctx, 'VIEWER');
    return ctx.loaders.entry.load(parseId(id, 'id'));
  },
  userQueueEntry: (_, { userId }, ctx) => {
    requireRole(ctx, 'VIEWER');
    return ctx.loaders.liveEntryByUser.load(parseUserId(userId));
  },
};

const Queue: QueueResolvers = {
  depth: async (q, _, ctx) => (await ctx.loaders.queueCounts.load(q.type)).depth,
  availableNow: async (q, _, ctx) => (await ctx.loaders.queueStats.load(q.type)).availableNow,
  assignedCount: async (q, _, ctx) => (await ctx.loaders.queueCounts.load(q.type)).assignedCount,
  oldestPendingSince: async (q, _, ctx) => (await ctx.loaders.queueStats.load(q.type)).oldestPendingSince,
  averageWaitSeconds: async (q, _, ctx) => (await ctx.loaders.queueStats.load(q.type)).averageWaitSeconds,
  entries: (q, args, ctx) => ctx.loaders.entryPage.load(
    entryPageRequest({ queueType: q.type, ...args }, ctx.config.MAX_PAGE_SIZE)),
};

export const queueResolvers: Resolvers = {
  Query,
  Queue,
  QueueEntry: {
    __resolveType: (e) => (e.queueType === 'unsigned_users' ? 'UnsignedUserEntry' : 'OutstandingRequestEntry'),
  },
  UnsignedUserEntry: entryRelations,
  OutstandingRequestEntry: entryRelations,
};
