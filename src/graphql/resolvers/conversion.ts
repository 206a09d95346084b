import { conversionStats, listConversions } from '../../modules/conversion/conversion.service.js';
import { convertClaimant } from '../../modules/conversion/convert.service.js';
import { parseId, parseUserId } from '../../modules/ids.js';
import { requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { operationFor } from '../operation.js';

export const conversionResolvers: Resolvers = {
  Query: {
    conversions: (_, args, ctx) => {
      requireRole(ctx, 'VIEWER');
      return listConversions(ctx.em, {
        from: args.from as Date | null | undefined,
        to: args.to as Date | null | undefined,
        previousQueueType: args.previousQueueType,
        primaryAgentId: args.primaryAgentId ? parseId(args.primaryAgentId, 'primaryAgentId') : null,
      }, args.first, args.after, ctx.config.MAX_PAGE_SIZE);
    },
    conversionStats: async (_, { from, to }, ctx) => {
      requireRole(ctx, 'VIEWER');
      const stats = await conversionStats(ctx.em, (from as Date | null) ?? null, (to as Date | null) ?? null);
      return {
        ...stats,
        byPrimaryAgent: await Promise.all(stats.byPrimaryAgent.map(async (a) => ({
          count: a.count, agent: a.agentId === null ? null : await ctx.loaders.agent.load(a.agentId),
        }))),
      };
    },
  },
  Mutation: {
    convertUser: (_, { input }, ctx) => {
      requireRole(ctx, 'AGENT');
      return convertClaimant(operationFor(ctx), parseUserId(input.userId), {
        conversionType: 'manual', reason: input.reason, claimValue: input.claimValue, estimatedCommission: input.estimatedCommission,
      });
    },
  },
  Conversion: {
    claimant: (c, _, ctx) => ctx.loaders.claimant.load(c.userId),
    primaryAgent: (c, _, ctx) => (c.primaryAgentId === null ? null : ctx.loaders.agent.load(c.primaryAgentId)),
    contributingAgentIds: (c) => c.contributingAgents.map(String),
    claimValue: (c) => (c.claimValue === null ? null : Number(c.claimValue)),
    estimatedCommission: (c) => (c.estimatedCommission === null ? null : Number(c.estimatedCommission)),
  },
};
