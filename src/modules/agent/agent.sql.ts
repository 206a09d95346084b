import type { EntityManager } from '@mikro-orm/postgresql';
import { rowMapper, STAMPS } from '../../db/rows.js';
import { queryOne, queryRows, sql } from '../../db/sql.js';
import type { Agent } from './agent.entity.js';

const toAgent = rowMapper<Agent>(STAMPS);

/* agentsByIds */
export async function agentsByIds(em: EntityManager, ids: readonly number[]): Promise<Agent[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* agentsByIds */ SELECT * FROM agents WHERE id = ANY(${[...ids]}::int[])`)).map(toAgent);
}

/* agentActive: null when the agent does not exist. */
export async function agentActive(em: EntityManager, agentId: number): Promise<boolean | null> {
  const agent = await queryOne<{ is_active: boolean }>(em, sql`/* agentActive */ SELECT is_active FROM agents WHERE id = ${agentId}`);
  return agent ? agent.is_active : null;
}

export interface WorkloadRow {
  agent_id: number;
  calls: number;
  talk: number;
  conversions: number;
}

/* agentWorkloads: one row per agent id, read through call_sessions_agent_idx. */
export async function agentWorkloads(em: EntityManager, agentIds: readonly number[]): Promise<WorkloadRow[]> {
  return queryRows<WorkloadRow>(em, sql`/* agentWorkloads */
    WITH today AS (SELECT date_trunc('day', now(), 'UTC') AS since)
    SELECT a.id AS agent_id,
           (SELECT count(*) FROM call_sessions s, today
             WHERE s.agent_id = a.id AND s.started_at >= today.since)::int AS calls,
           (SELECT coalesce(sum(extract(epoch FROM s.ended_at - s.started_at)), 0) FROM call_sessions s, today
             WHERE s.agent_id = a.id AND s.started_at >= today.since AND s.ended_at IS NOT NULL)::int AS talk,
           (SELECT count(*) FROM conversions c, today
             WHERE c.primary_agent_id = a.id AND c.converted_at >= today.since)::int AS conversions
      FROM unnest(${[...agentIds]}::int[]) AS a(id)`);
}
