import type { EntityManager } from '@mikro-orm/postgresql';
import { rowMapper } from '../../db/rows.js';
import { queryOne, queryRows, sql } from '../../db/sql.js';
import type { MigrationRun } from './migration.entity.js';
import type { MigrationPhase } from './phases.js';

/**
 * The migration's bookkeeping: the phase row and its audit, and the `migration_runs` rows of
 * applies, validations and rollbacks. The data statements (preview, copy, compare) are in
 * migration.sql.ts; the phase lock of write transactions is in phase.sql.ts.
 */

export const toRun = rowMapper<MigrationRun>(['started_at', 'finished_at']);

/* readOnlySnapshot: the rest of the transaction reads one repeatable-read snapshot and cannot write. */
export async function readOnlySnapshot(em: EntityManager): Promise<void> {
  await queryRows(em, sql`/* readOnlySnapshot */ SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY`);
}

/* migrationState */
export async function migrationState(em: EntityManager) {
  return (await queryOne<{ phase: MigrationPhase; changed_at: string; changed_by: string; reason: string | null }>(em, sql`/* migrationState */
    SELECT phase, changed_at, changed_by, reason FROM migration_state`))!;
}

/* phaseHistory: newest first. */
export async function phaseHistory(em: EntityManager, last: number) {
  return queryRows<{ from_phase: MigrationPhase; to_phase: MigrationPhase; actor: string; reason: string | null; changed_at: string }>(em, sql`/* phaseHistory */
    SELECT from_phase, to_phase, actor, reason, changed_at FROM migration_phase_changes ORDER BY id DESC LIMIT ${last}`);
}

/* migrationRuns: newest first. */
export async function listRuns(em: EntityManager, last: number): Promise<MigrationRun[]> {
  return (await queryRows<Record<string, unknown>>(em, sql`/* migrationRuns */ SELECT * FROM migration_runs ORDER BY id DESC LIMIT ${last}`)).map(toRun);
}

/* migrationRun */
export async function runById(em: EntityManager, id: number): Promise<MigrationRun | null> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* migrationRun */ SELECT * FROM migration_runs WHERE id = ${id}`);
  return row ? toRun(row) : null;
}

/*
 * resumableApply: the last apply, if it failed after copying some batches and the phase has
 * not changed since it started (after a rollback, rows it had copied may have changed unmirrored).
 */
export async function resumableApply(em: EntityManager): Promise<{ runId: number; afterId: number } | null> {
  const row = await queryOne<{ id: number; last_legacy_id: string | null }>(em, sql`/* resumableApply */
    SELECT r.id, r.last_legacy_id FROM migration_runs r
     WHERE r.kind = 'apply' AND r.id = (SELECT max(id) FROM migration_runs WHERE kind = 'apply')
       AND r.status = 'failed' AND r.last_legacy_id IS NOT NULL
       AND r.started_at > (SELECT max(changed_at) FROM migration_phase_changes)`);
  return row ? { runId: row.id, afterId: Number(row.last_legacy_id) } : null;
}

/* phaseProgress: when DUAL_WRITE began, the last apply completed since, and the last validation. */
export async function phaseProgress(em: EntityManager) {
  return queryOne<{ dual_since: string | null; apply_done: string | null; validated: string | null; passed: boolean | null; mismatches: number | null }>(em, sql`/* phaseProgress */
    WITH dual AS (SELECT max(changed_at) AS at FROM migration_phase_changes WHERE to_phase = 'DUAL_WRITE'),
         apply AS (SELECT max(finished_at) AS at FROM migration_runs, dual
                    WHERE kind = 'apply' AND status = 'succeeded' AND started_at >= dual.at),
         validation AS (SELECT started_at, (stats->>'passed')::boolean AS passed, (stats->>'mismatchCount')::int AS mismatches
                          FROM migration_runs WHERE kind = 'validate' AND status = 'succeeded' ORDER BY id DESC LIMIT 1)
    SELECT dual.at AS dual_since, apply.at AS apply_done, v.started_at AS validated, v.passed, v.mismatches
      FROM dual, apply LEFT JOIN validation v ON true`);
}

/*
 * lockPhaseRow: the phase row FOR UPDATE, which waits for every write transaction holding it
 * shared (phaseTransaction) to commit — at most `lockTimeout`, then the statement fails with 55P03.
 */
export async function lockPhaseRow(em: EntityManager, lockTimeout: string): Promise<MigrationPhase> {
  await queryRows(em, sql`/* phaseLockTimeout */ SELECT set_config('lock_timeout', ${lockTimeout}, true)`);
  return (await queryOne<{ phase: MigrationPhase }>(em, sql`/* lockPhaseRow */ SELECT phase FROM migration_state FOR UPDATE`))!.phase;
}

/* writePhase: the new phase and its audit row (who, from, to, why). */
export async function writePhase(em: EntityManager, from: MigrationPhase, to: MigrationPhase, actor: string, reason: string | null): Promise<void> {
  await queryRows(em, sql`/* writePhase */ UPDATE migration_state SET phase = ${to}, changed_at = now(), changed_by = ${actor}, reason = ${reason}`);
  await queryRows(em, sql`/* auditPhase */ INSERT INTO migration_phase_changes (from_phase, to_phase, actor, reason)
    VALUES (${from}, ${to}, ${actor}, ${reason})`);
}

/* runningRun: the run going on, if any (what a refused run names). */
export async function runningRun(em: EntityManager): Promise<{ id: number; kind: string } | null> {
  return (await queryOne<{ id: number; kind: string }>(em, sql`/* runningMigrationRun */
    SELECT id, kind FROM migration_runs WHERE status = 'running' ORDER BY id DESC LIMIT 1`)) ?? null;
}

/* failInterruptedRuns: called holding the run lock, so a row still 'running' belongs to an instance that died mid-run. */
export async function failInterruptedRuns(em: EntityManager): Promise<void> {
  await queryRows(em, sql`/* failInterruptedMigrationRuns */ UPDATE migration_runs
    SET status = 'failed', finished_at = now(), error = 'interrupted: the instance running it stopped'
    WHERE status = 'running'`);
}

/* startMigrationRun: a resumed apply counts the rows up to where the interrupted one stopped as processed. */
export async function insertRun(
  em: EntityManager, kind: MigrationRun['kind'], actor: string, batchSize: number | null, resumed: { runId: number; afterId: number } | null,
): Promise<MigrationRun> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* startMigrationRun */
    INSERT INTO migration_runs (kind, batch_size, actor, total_rows, processed_rows, last_legacy_id, stats)
    SELECT ${kind}, ${batchSize}, ${actor}, (SELECT count(*) FROM call_queue),
           ${resumed ? sql`(SELECT count(*) FROM call_queue WHERE id <= ${resumed.afterId})` : sql`0`},
           ${resumed?.afterId ?? null}, ${JSON.stringify(resumed ? { resumedFrom: resumed.runId } : {})}::jsonb
    RETURNING *`);
  return toRun(row!);
}

/* recordBatch: progress after one batch, in the batch's transaction (a resume starts after `lastId`). */
export async function recordBatch(em: EntityManager, runId: number, rows: number, lastId: number | null): Promise<void> {
  await queryRows(em, sql`/* recordBatch */ UPDATE migration_runs SET processed_rows = processed_rows + ${rows},
    last_legacy_id = ${lastId} WHERE id = ${runId}`);
}

/* finishMigrationRun */
export async function finishRunRow(
  em: EntityManager, id: number, status: 'succeeded' | 'failed', error: string | null, stats: Record<string, unknown>, processed: number | null,
): Promise<MigrationRun> {
  const row = await queryOne<Record<string, unknown>>(em, sql`/* finishMigrationRun */
    UPDATE migration_runs SET status = ${status}, finished_at = now(), error = ${error},
           stats = stats || ${JSON.stringify(stats)}::jsonb, processed_rows = coalesce(${processed}::int, processed_rows)
     WHERE id = ${id} RETURNING *`);
  return toRun(row!);
}
