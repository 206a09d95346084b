import { listCallbacks } from '../../modules/callback/callback.service.js';
import { cancelCallback, scheduleCallback } from '../../modules/callback/callback-writes.service.js';
import { parseId, parseUserId } from '../../modules/ids.js';
import { requireAgentOrAdmin, requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { agentRestriction, operationFor } from '../operation.js';

export const callbackResolvers: Resolvers = {
  Query: {
    callbacks: (_, args, ctx) => {
      requireRole(ctx, 'VIEWER');
      return listCallbacks(ctx.em, {
        status: args.status,
        agentId: args.agentId ? parseId(args.agentId, 'agentId') : null,
        userId: args.userId ? parseUserId(args.userId) : null,
        from: args.from as Date | null | undefined,
        to: args.to as Date | null | undefined,
      }, args.first, args.after, ctx.config.MAX_PAGE_SIZE);
    },
  },
  Mutation: {
    scheduleCallback: (_, { input }, ctx) => {
      const caller = requireRole(ctx, 'AGENT');
      // An AGENT key schedules for itself: its own id, or none given.
      const agentId = input.agentId ? parseId(input.agentId, 'agentId') : caller.role === 'AGENT' ? caller.agentId : null;
      if (agentId !== null) requireAgentOrAdmin(ctx, agentId);
      return scheduleCallback(operationFor(ctx), {
        userId: parseUserId(input.userId), scheduledFor: input.scheduledFor as Date, reason: input.reason, agentId,
        claimantRequested: input.claimantRequested ?? false,
      });
    },
    cancelCallback: (_, { id }, ctx) => {
      requireRole(ctx, 'AGENT');
      return cancelCallback(operationFor(ctx), parseId(id, 'id'), agentRestriction(ctx));
    },
  },
  Callback: {
    entry: async (c, _, ctx) => {
      const entry = await ctx.loaders.liveEntryByUser.load(c.userId);
      return entry?.callbackId === c.id ? entry : null;
    },
    claimant: (c, _, ctx) => ctx.loaders.claimant.load(c.userId),
    agent: (c, _, ctx) => (c.agentId === null ? null : ctx.loaders.agent.load(c.agentId)),
  },
};
