import { parseUserId } from '../../modules/ids.js';
import { scoreBreakdown } from '../../modules/queue/score-breakdown.js';
import { requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';

/** How scores are made (schema/score.graphql). */
export const scoreResolvers: Resolvers = {
  Query: {
    scoreBreakdown: (_, { userId }, ctx) => {
      requireRole(ctx, 'VIEWER');
      return scoreBreakdown(ctx.em, ctx.store, parseUserId(userId));
    },
  },
};
