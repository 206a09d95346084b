import { createApiKey } from '../../modules/auth/api-keys.js';
import { parseId } from '../../modules/ids.js';
import { requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';

export const authResolvers: Resolvers = {
  Query: {
    viewer: (_, __, ctx) => {
      const caller = requireRole(ctx, 'VIEWER');
      return { role: caller.role, agentId: caller.agentId === null ? null : String(caller.agentId) };
    },
  },
  Mutation: {
    createApiKey: async (_, { role, agentId, label }, ctx) => {
      requireRole(ctx, 'ADMIN');
      const created = await createApiKey(ctx.em, {
        role, agentId: agentId ? parseId(agentId, 'agentId') : null, label,
      });
      ctx.logger.info({ keyId: created.id, role: created.role, agentId: created.agentId }, 'API key created');
      return created;
    },
  },
};
