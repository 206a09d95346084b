import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../../db/orm.js';
import { SessionLock } from '../../db/session-lock.js';
import type { Logger } from '../../logger.js';
import { badInput, conflict, DomainError } from '../errors.js';
import type { EventPublisher } from '../events/events.js';
import { phaseTransaction } from '../operation.js';
import { toEntryRecord, type QueueEntryRecord } from '../queue/queue-entry.js';
import type { MigrationRun } from './migration.entity.js';
import * as statements from './migration.sql.js';
import type { MigrationPhaseWatcher } from './phase-watcher.js';
import { readPhase } from './phase.sql.js';
import { copiesLegacy, flagsOf, nextPhase, type MigrationPhase, type PhaseFlags } from './phases.js';
import {
  failInterruptedRuns, finishRunRow, insertRun, listRuns, lockPhaseRow, migrationState, phaseHistory, phaseProgress,
  readOnlySnapshot, recordBatch, resumableApply, runById, runningRun, writePhase,
} from './runs.sql.js';

export const BATCH_SIZE_MAX = 50_000;
export const DEFAULT_BATCH_SIZE = 5_000;
const LOCK_KEY = 'callqueue.queue-migration';
const LIST_LIMIT = 50;
/** A phase change waits this long for the write transactions in flight, then gives up. */
const PHASE_LOCK_TIMEOUT = '15s';
/** Errors after which a batch is simply tried again: a race with a live write. */
const RETRYABLE = new Set(['40001', '40P01']);

/** A migration_runs row. */
export type MigrationRunRecord = MigrationRun;

export interface PhaseChange {
  from: MigrationPhase;
  to: MigrationPhase;
  actor: string;
  reason: string | null;
  at: Date;
}

export interface MigrationStatusRecord {
  phase: MigrationPhase;
  flags: PhaseFlags;
  changedAt: Date;
  changedBy: string;
  reason: string | null;
  nextPhase: MigrationPhase | null;
  /** What setMigrationPhase(nextPhase) still needs; empty when it would be accepted. */
  blockers: string[];
}

export interface ValidationRecord {
  run: MigrationRunRecord;
  passed: boolean;
  byType: statements.TypeValidation[];
  mismatchCount: number;
  mismatches: statements.Mismatch[];
  unmapped: number;
}

export interface PreviewRecord {
  phase: MigrationPhase;
  legacyRows: number;
  byLegacyType: statements.LegacyTypeCount[];
  byTarget: statements.TargetCount[];
  callbacksToConvert: number;
  conflictCount: number;
  conflicts: statements.Conflict[];
  sample: QueueEntryRecord[];
}

export interface QueueMigrationDeps {
  orm: Orm;
  /** For the run lock's own connection. */
  databaseUrl: string;
  events: EventPublisher;
  logger: Logger;
  watcher: MigrationPhaseWatcher;
}

/**
 * The admin side of the legacy migration: preview, apply (batched, resumable), validate,
 * phase changes and rollback. Apply, validate and rollback hold one session advisory lock for
 * their whole run, so two never overlap across instances; a run row left `running` by a dead
 * instance is failed by the next lock holder, and the next apply resumes after its last batch.
 */
export class QueueMigration {
  /** Background applies of this instance (awaited on shutdown and by tests). */
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(private readonly deps: QueueMigrationDeps) {}

  async status(em: EntityManager): Promise<MigrationStatusRecord> {
    const row = await migrationState(em);
    const phase = row.phase;
    const next = nextPhase(phase);
    return {
      phase, flags: flagsOf(phase), changedAt: new Date(row.changed_at), changedBy: row.changed_by, reason: row.reason,
      nextPhase: next, blockers: next ? await this.blockers(em, next) : [],
    };
  }

  async history(em: EntityManager, last: number): Promise<PhaseChange[]> {
    const rows = await phaseHistory(em, last);
    return rows.map((r) => ({ from: r.from_phase, to: r.to_phase, actor: r.actor, reason: r.reason, at: new Date(r.changed_at) }));
  }

  async runs(em: EntityManager, last: number): Promise<MigrationRunRecord[]> {
    return listRuns(em, last);
  }

  async run(em: EntityManager, id: number): Promise<MigrationRunRecord | null> {
    return runById(em, id);
  }

  /** Changes nothing: one repeatable-read snapshot, rolled back. */
  async preview(): Promise<PreviewRecord> {
    return this.deps.orm.em.fork().transactional(async (em) => {
      await readOnlySnapshot(em);
      const byLegacyType = await statements.legacyTypeCounts(em);
      const found = await statements.conflicts(em, LIST_LIMIT);
      return {
        phase: await readPhase(em),
        legacyRows: byLegacyType.reduce((n, t) => n + t.rows, 0),
        byLegacyType,
        byTarget: await statements.targetCounts(em),
        callbacksToConvert: await statements.callbacksToConvert(em),
        conflictCount: found.total,
        conflicts: found.list,
        sample: (await statements.sample(em, 5)).map(toEntryRecord),
      };
    });
  }

  /**
   * Starts an apply and returns its run row: at once (progress through `migrationProgress`
   * and `migrationRun`), or when it has finished with `wait`.
   */
  async apply(batchSize: number, actor: string, wait: boolean): Promise<MigrationRunRecord> {
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > BATCH_SIZE_MAX) {
      throw badInput(`batchSize must be 1–${BATCH_SIZE_MAX}, got ${batchSize}`, { field: 'batchSize' });
    }
    const phase = await this.currentPhase();
    if (!copiesLegacy(phase)) {
      throw conflict(`applyQueueMigration runs in DUAL_WRITE or BACKFILLED (so writes during the copy reach both tables); the phase is ${phase}`,
        { phase });
    }
    const lock = await this.lockRuns();
    try {
      // An interrupted apply is continued after its last batch — unless the phase changed
      // since it started (after a rollback, rows it had copied may have changed unmirrored).
      const resumed = await resumableApply(this.deps.orm.em.fork());
      const run = await this.startRun('apply', actor, batchSize, resumed);
      const work = this.executeApply(run, batchSize, resumed?.afterId ?? 0).finally(() => lock.release());
      if (wait) return await work;
      const tracked = work.catch(() => undefined);
      this.inFlight.add(tracked);
      void tracked.finally(() => this.inFlight.delete(tracked));
      return run;
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  async validate(actor: string): Promise<ValidationRecord> {
    const lock = await this.lockRuns();
    try {
      const run = await this.startRun('validate', actor, null, null);
      try {
        const compared = await this.deps.orm.em.fork().transactional(async (em) => {
          await readOnlySnapshot(em);
          return statements.compareStores(em, LIST_LIMIT);
        });
        const mismatchCount = compared.byType.reduce((n, t) => n + t.mismatches, 0);
        const passed = mismatchCount === 0;
        const finished = await this.finishRun(run.id, 'succeeded', null, {
          passed, mismatchCount, unmapped: compared.unmapped, byType: compared.byType,
        }, compared.byType.reduce((n, t) => n + t.legacyRows, 0));
        this.deps.logger.info({ runId: run.id, passed, mismatchCount, unmapped: compared.unmapped }, 'queue migration validated');
        return { run: finished, passed, mismatchCount, byType: compared.byType, mismatches: compared.mismatches, unmapped: compared.unmapped };
      } catch (error) {
        await this.failRun(run.id, error);
        throw error;
      }
    } finally {
      await lock.release();
    }
  }

  async setPhase(to: MigrationPhase, actor: string, reason: string | null): Promise<void> {
    const em = this.deps.orm.em.fork();
    const from = await this.currentPhase();
    if (to === from) throw conflict(`the migration is already in ${to}`, { phase: from });
    const expected = nextPhase(from);
    if (to !== expected) {
      throw conflict(`phases are taken one at a time, in order: from ${from} the next is ${expected ?? 'none (last phase)'}, not ${to}; `
        + 'to go back, use rollbackQueueMigration', { phase: from, requested: to, next: expected });
    }
    const missing = await this.blockers(em, to);
    if (missing.length > 0) {
      throw conflict(`cannot move to ${to}: ${missing.join('; ')}`, { phase: from, requested: to, missing });
    }
    await this.changePhase(from, to, actor, reason);
  }

  /**
   * Back to reading (and only writing) call_queue, from any phase. Entries the separated
   * tables hold that legacy lacks or holds differently — everything written since legacy stopped
   * being written — are copied back in the same transaction as the phase change, which first
   * waits for the writes in flight; writes after it wait for the commit and then go to legacy.
   */
  async rollback(reason: string, actor: string): Promise<MigrationPhase> {
    const why = reason.trim();
    if (!why) throw badInput('a reason is required for a rollback', { field: 'reason' });
    if (why.length > 500) throw badInput(`the reason is ${why.length} characters; at most 500`, { field: 'reason' });
    const from = await this.currentPhase();
    if (from === 'PRE_MIGRATION') throw conflict('nothing to roll back: the migration is in PRE_MIGRATION', { phase: from });
    const lock = await this.lockRuns();
    try {
      const run = await this.startRun('rollback', actor, null, null);
      try {
        const copied = await this.deps.orm.em.fork().transactional(async (em) => {
          const phase = await this.updatePhase(em, 'PRE_MIGRATION', actor, `rollback: ${why}`, null);
          // While legacy was the store read (up to BACKFILLED) it holds everything: nothing to copy.
          return flagsOf(phase).readsFrom === 'legacy' ? 0 : statements.copyBack(em);
        });
        await this.finishRun(run.id, 'succeeded', null, { fromPhase: from, copiedBack: copied, reason: why }, copied);
        this.deps.watcher.noticed('PRE_MIGRATION');
        this.deps.logger.warn({ from, copiedBack: copied, reason: why, actor }, 'queue migration rolled back to PRE_MIGRATION');
        return 'PRE_MIGRATION';
      } catch (error) {
        await this.failRun(run.id, error);
        throw error;
      }
    } finally {
      await lock.release();
    }
  }

  /**
   * Shutdown: background applies stop after their current batch (marked failed as
   * interrupted; the next apply resumes after it).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.inFlight]);
  }

  /** What moving to `to` still needs (empty: nothing). */
  private async blockers(em: EntityManager, to: MigrationPhase): Promise<string[]> {
    if (to !== 'BACKFILLED' && to !== 'READ_NEW') return [];
    const row = await phaseProgress(em);
    const missing: string[] = [];
    if (!row?.apply_done) {
      missing.push('no applyQueueMigration has completed since the phase entered DUAL_WRITE'
        + (row?.dual_since ? ` (at ${new Date(row.dual_since).toISOString()})` : ''));
    }
    if (to === 'READ_NEW') {
      if (!row?.validated) missing.push('no validateQueueMigration has run');
      else if (row.apply_done && new Date(row.validated) < new Date(row.apply_done)) {
        missing.push('no validateQueueMigration since the last apply finished (legacy was written after the last validation)');
      } else if (!row.passed) missing.push(`the last validateQueueMigration found ${row.mismatches} mismatches`);
    }
    return missing;
  }

  private currentPhase(): Promise<MigrationPhase> {
    return readPhase(this.deps.orm.em.fork());
  }

  private async changePhase(from: MigrationPhase, to: MigrationPhase, actor: string, reason: string | null): Promise<void> {
    await this.deps.orm.em.fork().transactional((em) => this.updatePhase(em, to, actor, reason, from));
    this.deps.watcher.noticed(to);
    this.deps.logger.info({ from, to, actor, reason }, 'migration phase set');
  }

  /**
   * The phase row, changed after the write transactions holding it shared have committed;
   * `expected` guards against a concurrent change. Returns the phase it replaced.
   */
  private async updatePhase(em: EntityManager, to: MigrationPhase, actor: string, reason: string | null,
    expected: MigrationPhase | null): Promise<MigrationPhase> {
    let from: MigrationPhase;
    try {
      from = await lockPhaseRow(em, PHASE_LOCK_TIMEOUT);
    } catch (error) {
      if ((error as { code?: string }).code === '55P03') {
        throw conflict(`write transactions kept the phase busy for ${PHASE_LOCK_TIMEOUT}; try again`, { requested: to });
      }
      throw error;
    }
    if (expected && from !== expected) throw conflict(`the phase changed meanwhile: it is now ${from}`, { phase: from });
    await writePhase(em, from, to, actor, reason);
    return from;
  }

  private async lockRuns(): Promise<SessionLock> {
    const lock = await SessionLock.tryAcquire(this.deps.databaseUrl, LOCK_KEY, 'callqueue-queue-migration');
    if (!lock) {
      const running = await runningRun(this.deps.orm.em.fork());
      throw conflict(running
        ? `a migration ${running.kind} is running (run ${running.id}); wait for it to finish (migrationProgress)`
        : 'another migration run is starting; try again shortly', running ? { runId: String(running.id) } : {});
    }
    // Holding the lock, a row still 'running' belongs to an instance that died mid-run.
    await failInterruptedRuns(this.deps.orm.em.fork());
    return lock;
  }

  private async startRun(kind: MigrationRunRecord['kind'], actor: string, batchSize: number | null,
    resumed: { runId: number; afterId: number } | null): Promise<MigrationRunRecord> {
    return insertRun(this.deps.orm.em.fork(), kind, actor, batchSize, resumed);
  }

  private async executeApply(run: MigrationRunRecord, batchSize: number, afterId: number): Promise<MigrationRunRecord> {
    try {
      const resolved = await this.inPhaseTransaction(run.id, async (em) => ({
        conflictsResolved: await statements.resolveConflicts(em),
        callbacksConverted: await statements.convertCallbacks(em),
      }));
      let last = afterId;
      let batches = 0;
      for (;;) {
        if (this.stopping) throw conflict(`interrupted: the instance shut down; run applyQueueMigration again to resume after id ${last}`);
        const copied = await this.inPhaseTransaction(run.id, async (em) => {
          const batch = await statements.copyBatch(em, last, batchSize);
          if (batch.rows > 0) {
            await recordBatch(em, run.id, batch.rows, batch.lastId);
            await this.deps.events.publish(em, { topic: 'migrationProgress', runId: run.id });
          }
          return batch;
        });
        if (copied.rows === 0) break;
        last = copied.lastId!;
        batches += 1;
      }
      const done = await this.finishRun(run.id, 'succeeded', null, { ...run.stats, ...resolved, batches }, null);
      this.deps.logger.info({ runId: run.id, processed: done.processedRows, batches, ...resolved }, 'queue migration applied');
      return done;
    } catch (error) {
      this.deps.logger.error({ err: error, runId: run.id }, 'queue migration apply failed');
      return this.failRun(run.id, error);
    }
  }

  /** One batch's transaction, in a phase that still copies; retried after a lost race. */
  private async inPhaseTransaction<T>(runId: number, fn: (em: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await phaseTransaction({ em: this.deps.orm.em.fork() }, async ({ em, phase }) => {
          if (!copiesLegacy(phase)) {
            throw conflict(`the phase changed to ${phase} during the apply; run ${runId} stopped`, { phase });
          }
          return fn(em);
        });
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < 3) continue;
        throw error;
      }
    }
  }

  private async finishRun(id: number, status: 'succeeded' | 'failed', error: string | null, stats: Record<string, unknown>,
    processed: number | null): Promise<MigrationRunRecord> {
    return this.deps.orm.em.fork().transactional(async (em) => {
      const run = await finishRunRow(em, id, status, error, stats, processed);
      await this.deps.events.publish(em, { topic: 'migrationProgress', runId: id });
      return run;
    });
  }

  private async failRun(id: number, error: unknown): Promise<MigrationRunRecord> {
    const code = (error as { code?: string }).code;
    const message = error instanceof DomainError ? error.message : code ? `database error ${code}` : 'unexpected error';
    return this.finishRun(id, 'failed', message, {}, null);
  }
}
