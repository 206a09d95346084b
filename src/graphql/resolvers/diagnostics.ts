import { parseUserId } from '../../modules/ids.js';
import { eligibility, queueDiagnostics } from '../../modules/queue/diagnostics.js';
import { requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { operationFor } from '../operation.js';

export const diagnosticsResolvers: Resolvers = {
  Query: {
    eligibility: (_, { userId }, ctx) => {
      requireRole(ctx, 'VIEWER');
      const op = operationFor(ctx);
      return eligibility(op.em, op.store, op.settings, parseUserId(userId));
    },
    queueDiagnostics: (_, { queueType }, ctx) => {
      requireRole(ctx, 'VIEWER');
      const op = operationFor(ctx);
      return queueDiagnostics(op.em, op.store, op.settings, queueType, ctx.config.CALLBACK_GRACE_MINUTES);
    },
  },
};
