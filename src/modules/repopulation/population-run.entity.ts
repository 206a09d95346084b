import { EntitySchema } from '@mikro-orm/core';
import { bigintId, int, json, text, time } from '../../db/columns.js';

/** One repopulation: its trigger, when, and what it changed per queue. */
export interface PopulationRun {
  id: number;
  trigger: 'cron' | 'manual' | 'dry_run';
  tick: Date | null;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: Date;
  finishedAt: Date | null;
  added: number;
  removed: number;
  kept: number;
  perQueue: Record<string, unknown>;
  error: string | null;
}

export const PopulationRunSchema = new EntitySchema<PopulationRun>({
  name: 'PopulationRun',
  tableName: 'queue_population_runs',
  properties: {
    id: bigintId(),
    trigger: text(),
    tick: time({ nullable: true }),
    status: text(),
    startedAt: time(),
    finishedAt: time({ nullable: true }),
    added: int(),
    removed: int(),
    kept: int(),
    perQueue: json(),
    error: text({ nullable: true }),
  } as never,
});
