import type { EntityManager } from '@mikro-orm/postgresql';
import { conflict, notFound } from '../errors.js';
import { AgentSchema } from './agent.entity.js';
import { agentActive, agentWorkloads } from './agent.sql.js';

/** The agents a board shows: the active ones (or all), in id order (the agents query and agentsChanged). */
export function listAgents(em: EntityManager, activeOnly = true) {
  return em.find(AgentSchema, activeOnly ? { isActive: true } : {}, { orderBy: { id: 'asc' } });
}

/** An agent's work since midnight UTC (the current entry is loaded separately). */
export interface AgentWorkload {
  agentId: number;
  callsToday: number;
  talkTimeSecondsToday: number;
  conversionsToday: number;
}

export async function loadAgentWorkloads(em: EntityManager, agentIds: readonly number[]): Promise<Map<number, AgentWorkload>> {
  const rows = await agentWorkloads(em, agentIds);
  return new Map(rows.map((r) => [r.agent_id, {
    agentId: r.agent_id, callsToday: r.calls, talkTimeSecondsToday: r.talk, conversionsToday: r.conversions,
  }]));
}

/** The agent a call or a callback is for: it must exist and be active. */
export async function requireActiveAgent(em: EntityManager, agentId: number, hint = ''): Promise<void> {
  const active = await agentActive(em, agentId);
  if (active === null) throw notFound(`agent ${agentId} does not exist`);
  if (!active) throw conflict(`agent ${agentId} is not active${hint}`);
}
