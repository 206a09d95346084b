import { parseUserId } from '../../modules/ids.js';
import { requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';

export const claimantResolvers: Resolvers = {
  Query: {
    claimant: (_, { userId }, ctx) => {
      requireRole(ctx, 'VIEWER');
      return ctx.loaders.claimant.load(parseUserId(userId));
    },
    callScore: (_, { userId }, ctx) => {
      requireRole(ctx, 'VIEWER');
      return ctx.loaders.score.load(parseUserId(userId));
    },
  },
  Claimant: {
    requirements: (c, _, ctx) => ctx.loaders.requirements.load(c.userId),
    score: (c, _, ctx) => ctx.loaders.score.load(c.userId),
    queueEntry: (c, _, ctx) => ctx.loaders.liveEntryByUser.load(c.userId),
  },
  UserCallScore: {
    lastResetDate: (s) => String(s.lastResetDate),
  },
};
