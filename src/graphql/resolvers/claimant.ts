import { parseUserId } from '../../modules/ids.js';
import { checkPageSize } from '../../modules/pagination.js';
import { requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';

const historySize = (first: number | null | undefined, max: number) => checkPageSize(first, 50, max);

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
    transitions: (c, { first }, ctx) => ctx.loaders.transitionsByUser.load({ userId: c.userId, first: historySize(first, ctx.config.MAX_PAGE_SIZE) }),
    callSessions: (c, { first }, ctx) => ctx.loaders.callSessionsByUser.load({ userId: c.userId, first: historySize(first, ctx.config.MAX_PAGE_SIZE) }),
    callbacks: (c, { first }, ctx) => ctx.loaders.callbacksByUser.load({ userId: c.userId, first: historySize(first, ctx.config.MAX_PAGE_SIZE) }),
    conversion: (c, _, ctx) => ctx.loaders.conversionByUser.load(c.userId),
  },
  UserCallScore: {
    lastResetDate: (s) => String(s.lastResetDate),
  },
};
