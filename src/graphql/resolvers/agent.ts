import { listAgents } from '../../modules/agent/agent.service.js';
import { parseId } from '../../modules/ids.js';
import { requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';

export const agentResolvers: Resolvers = {
  Query: {
    agents: (_, { activeOnly }, ctx) => {
      requireRole(ctx, 'VIEWER');
      return listAgents(ctx.em, activeOnly !== false);
    },
    agent: (_, { id }, ctx) => {
      requireRole(ctx, 'VIEWER');
      return ctx.loaders.agent.load(parseId(id, 'id'));
    },
  },
  Agent: {
    workload: (agent, _, ctx) => ctx.loaders.workload.load(agent.id),
  },
  AgentWorkload: {
    currentEntry: (w, _, ctx) => ctx.loaders.assignedEntryByAgent.load(w.agentId),
  },
};
