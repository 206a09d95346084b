import { listConversions } from '../../modules/conversion/conversion.service.js';
import { parseId } from '../../modules/ids.js';
import { requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';

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
  },
  Conversion: {
    claimant: (c, _, ctx) => ctx.loaders.claimant.load(c.userId),
    primaryAgent: (c, _, ctx) => (c.primaryAgentId === null ? null : ctx.loaders.agent.load(c.primaryAgentId)),
    contributingAgentIds: (c) => c.contributingAgents.map(String),
    claimValue: (c) => (c.claimValue === null ? null : Number(c.claimValue)),
    estimatedCommission: (c) => (c.estimatedCommission === null ? null : Number(c.estimatedCommission)),
  },
};
