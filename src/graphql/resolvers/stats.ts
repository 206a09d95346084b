import { listActivity, listQueueSamples } from '../../modules/stats/stats.service.js';
import { requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';

export const statsResolvers: Resolvers = {
  Query: {
    queueHistory: (_, { hours }, ctx) => {
      requireRole(ctx, 'VIEWER');
      return listQueueSamples(ctx.em, hours ?? 24);
    },
    activity: (_, { hours, bucketMinutes }, ctx) => {
      requireRole(ctx, 'VIEWER');
      return listActivity(ctx.em, hours ?? 24, bucketMinutes ?? 5);
    },
  },
};
