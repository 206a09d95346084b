import { EntitySchema } from '@mikro-orm/core';
import { bigintCol, bigintId, bool, int, json, text, time } from '../../db/columns.js';
import type { MigrationPhase } from './phases.js';

/** The one row that says which phase of the legacy migration every instance is in. */
export interface MigrationState {
  id: boolean;
  phase: MigrationPhase;
  changedAt: Date;
  changedBy: string;
  reason: string | null;
}

/** One data-migration run (apply, validate, rollback) with its progress. */
export interface MigrationRun {
  id: number;
  kind: 'apply' | 'validate' | 'rollback';
  status: 'running' | 'succeeded' | 'failed';
  batchSize: number | null;
  totalRows: number;
  processedRows: number;
  lastLegacyId: number | null;
  stats: Record<string, unknown>;
  actor: string;
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
}

export const MigrationStateSchema = new EntitySchema<MigrationState>({
  name: 'MigrationState',
  tableName: 'migration_state',
  properties: {
    id: bool({ primary: true }),
    phase: text(),
    changedAt: time(),
    changedBy: text(),
    reason: text({ nullable: true }),
  } as never,
});

export const MigrationRunSchema = new EntitySchema<MigrationRun>({
  name: 'MigrationRun',
  tableName: 'migration_runs',
  properties: {
    id: bigintId(),
    kind: text(),
    status: text(),
    batchSize: int({ nullable: true }),
    totalRows: int(),
    processedRows: int(),
    lastLegacyId: bigintCol({ nullable: true }),
    stats: json(),
    actor: text(),
    startedAt: time(),
    finishedAt: time({ nullable: true }),
    error: text({ nullable: true }),
  } as never,
});
