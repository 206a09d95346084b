import { listCallbacks } from '../../modules/callback/callback.service.js';
import { parseId, parseUserId } from '../../modules/ids.js';
import { requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';

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
  Callback: {
    claimant: (c, _, ctx) => ctx.loaders.claimant.load(c.userId),
    agent: (c, _, ctx) => (c.agentId === null ? null : ctx.loaders.agent.load(c.agentId)),
  },
};
