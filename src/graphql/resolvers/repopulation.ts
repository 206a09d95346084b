import { badInput } from '../../modules/errors.js';
import { listPopulationRuns } from '../../modules/repopulation/repopulation.service.js';
import { requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { operationFor } from '../operation.js';

export const repopulationResolvers: Resolvers = {
  Query: {
    populationRuns: (_, { last }, ctx) => {
      requireRole(ctx, 'VIEWER');
      const n = last ?? 10;
      if (!Number.isInteger(n) || n < 1 || n > 100) throw badInput(`last must be 1–100, got ${n}`);
      return listPopulationRuns(ctx.em, n);
    },
  },
  Mutation: {
    repopulateQueues: async (_, { dryRun }, ctx) => {
      requireRole(ctx, 'ADMIN');
      const run = await ctx.repopulation.run(dryRun ? 'dry_run' : 'manual', { actor: operationFor(ctx).actor });
      return run!;
    },
  },
  PopulationRun: {
    queues: (run) => run.perQueue,
  },
};
