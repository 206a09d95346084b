import type { EntityManager } from '@mikro-orm/postgresql';
import { rowMapper } from '../../db/rows.js';
import { queryOne, queryRows, sql } from '../../db/sql.js';
import type { PopulationRun as PopulationRunRow } from './population-run.entity.js';
import type { QueueRebuild } from './repopulate.sql.js';

export interface QueueRebuildResult extends QueueRebuild {
  durationMs: number;
  error: string | null;
}

/** A queue_population_runs row, its per-queue results typed. */
export type PopulationRun = Omit<PopulationRunRow, 'perQueue'> & { perQueue: QueueRebuildResult[] };

const toRun = rowMapper<PopulationRun>(['tick', 'started_at', 'finished_at']);

/* populationRuns: newest first. */
export async function listPopulationRuns(em: EntityManager, last: number): Promise<PopulationRun[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* populationRuns */
    SELECT * FROM queue_population_runs ORDER BY started_at DESC, id DESC LIMIT ${last}`)).map(toRun);
}

/* runningPopulationRun: the real run going on, if any (what a refused manual run names). */
export async function runningPopulationRun(em: EntityManager): Promise<{ id: number; started_at: string } | null> {
  return (await queryOne<{ id: number; started_at: string }>(em, sql`/* runningPopulationRun */
    SELECT id, started_at FROM queue_population_runs WHERE status = 'running' AND trigger <> 'dry_run' ORDER BY id DESC LIMIT 1`)) ?? null;
}

/* failInterruptedRuns: called holding the run lock, so a row still 'running' belongs to an instance that died mid-run. */
export async function failInterruptedRuns(em: EntityManager): Promise<void> {
  await queryRows(em, sql`/* failInterruptedRuns */ UPDATE queue_population_runs
    SET status = 'failed', finished_at = now(), error = 'interrupted: the instance running it stopped'
    WHERE status = 'running' AND trigger <> 'dry_run'`);
}

/* startPopulationRun: the run's row; null when a cron tick was already claimed (UNIQUE tick). */
export async function startPopulationRun(em: EntityManager, trigger: PopulationRunRow['trigger'], tick: Date | null): Promise<number | null> {
  const row = await queryOne<{ id: number }>(em, sql`/* startPopulationRun */
    INSERT INTO queue_population_runs (trigger, tick) VALUES (${trigger}, ${tick})
    ON CONFLICT (tick) DO NOTHING RETURNING id`);
  return row?.id ?? null;
}

/* finishPopulationRun */
export async function finishPopulationRun(
  em: EntityManager, id: number,
  r: { status: 'succeeded' | 'failed'; added: number; removed: number; kept: number; perQueue: QueueRebuildResult[]; error: string | null },
): Promise<PopulationRun> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* finishPopulationRun */
    UPDATE queue_population_runs
       SET status = ${r.status}, finished_at = now(), added = ${r.added}, removed = ${r.removed}, kept = ${r.kept},
           per_queue = ${JSON.stringify(r.perQueue)}::jsonb, error = ${r.error}
     WHERE id = ${id} RETURNING *`);
  return toRun(row!);
}
