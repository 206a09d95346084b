import type { EntityManager } from '@mikro-orm/postgresql';
import { queryOne, queryRows, sql } from '../../db/sql.js';
import { conflict, notFound } from '../errors.js';

/** An agent's work since midnight UTC (the current entry is loaded separately). */
export interface AgentWorkload {
  agentId: number;
  callsToday: number;
  talkTimeSecondsToday: number;
  conversionsToday: number;
}

/* agentWorkloads: one row per agent id, read through call_sessions_agent_idx. */
export async function loadAgentWorkloads(em: EntityManager, agentIds: readonly number[]): Promise<Map<number, AgentWorkload>> {
  const rows = await queryRows<{ agent_id: number; calls: number; talk: number; conversions: number }>(em, sql`
    WITH today AS (SELECT date_trunc('day', now(), 'UTC') AS since)
    SELECT a.id AS agent_id,
           (SELECT count(*) FROM call_sessions s, today
             WHERE s.agent_id = a.id AND s.started_at >= today.since)::int AS calls,
           (SELECT coalesce(sum(extract(epoch FROM s.ended_at - s.started_at)), 0) FROM call_sessions s, today
             WHERE s.agent_id = a.id AND s.started_at >= today.since AND s.ended_at IS NOT NULL)::int AS talk,
           (SELECT count(*) FROM conversions c, today
             WHERE c.primary_agent_id = a.id AND c.converted_at >= today.since)::int AS conversions
      FROM unnest(${[...agentIds]}::int[]) AS a(id)`);
  return new Map(rows.map((r) => [r.agent_id, {
    agentId: r.agent_id, callsToday: r.calls, talkTimeSecondsToday: r.talk, conversionsToday: r.conversions,
  }]));
}

/** The agent a call or a callback is for: it must exist and be active. */
export async function requireActiveAgent(em: EntityManager, agentId: number, hint = ''): Promise<void> {
  const agent = await queryOne<{ is_active: boolean }>(em, sql`SELECT is_active FROM agents WHERE id = ${agentId}`);
  if (!agent) throw notFound(`agent ${agentId} does not exist`);
  if (!agent.is_active) throw conflict(`agent ${agentId} is not active${hint}`);
}
