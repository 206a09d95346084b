import type { Orm } from '../../db/orm.js';
import { SessionLock } from '../../db/session-lock.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import { conflict } from '../errors.js';
import type { EventPublisher } from '../events/events.js';
import { phaseTransaction } from '../operation.js';
import { QUEUE_TYPES } from '../queue-type.js';
import {
  failInterruptedRuns, finishPopulationRun, runningPopulationRun, startPopulationRun, type PopulationRun, type QueueRebuildResult,
} from './population-runs.sql.js';
import { rebuildQueue, type QueueRebuild } from './repopulate.sql.js';

export type PopulationTrigger = 'cron' | 'manual' | 'dry_run';

export type { PopulationRun, QueueRebuildResult };
export { listPopulationRuns } from './population-runs.sql.js';

/** Advisory lock key of the repopulation, taken on a connection of its own (a pooled connection would leak it). */
const LOCK_KEY = 'callqueue.repopulation';
/** Errors after which one queue's rebuild is simply tried again: a race with a live write. */
const RETRYABLE = new Set(['40001', '40P01', '23505']);
const ATTEMPTS = 3;

class Rollback extends Error {
  constructor(readonly result: QueueRebuild) {
    super('dry run');
  }
}

export interface RepopulationDeps {
  orm: Orm;
  /** For the lock connection, outside the pool. */
  databaseUrl: string;
  events: EventPublisher;
  logger: Logger;
  metrics: Metrics;
  topN: number;
}

/**
 * The repopulation job: the cron job and `repopulateQueues` run this same code. A real run
 * holds a session advisory lock on a dedicated connection for its whole length, so runs never
 * overlap across instances; a cron run also claims its tick with a row (UNIQUE tick), so an
 * instance that comes late to a tick another already ran does not run it again.
 */
export class Repopulation {
  constructor(private readonly deps: RepopulationDeps) {}

  /** Null when a cron tick is skipped (another instance has it, or a run is going on). */
  async run(trigger: PopulationTrigger, options: { actor: string; tick?: Date }): Promise<PopulationRun | null> {
    if (trigger === 'dry_run') return this.execute(await this.startRow('dry_run', null), true, options.actor);
    const lock = await SessionLock.tryAcquire(this.deps.databaseUrl, LOCK_KEY, 'callqueue-repopulation');
    if (!lock) {
      if (trigger === 'cron') return null;
      const running = await runningPopulationRun(this.deps.orm.em.fork());
      throw conflict(running
        ? `a repopulation is already running (run ${running.id}, started ${new Date(running.started_at).toISOString()}); wait for it to finish`
        : 'a repopulation is already starting; wait for it to finish', running ? { runId: String(running.id) } : {});
    }
    try {
      // Holding the lock, any row still 'running' belongs to an instance that died mid-run.
      await failInterruptedRuns(this.deps.orm.em.fork());
      const id = await this.startRow(trigger, options.tick ?? null);
      if (id === null) return null;
      return await this.execute(id, false, options.actor);
    } finally {
      await lock.release();
    }
  }

  /** The run's row; null when a cron tick was already claimed. */
  private async startRow(trigger: PopulationTrigger, tick: Date | null): Promise<number | null> {
    return startPopulationRun(this.deps.orm.em.fork(), trigger, tick);
  }

  private async execute(id: number | null, dryRun: boolean, actor: string): Promise<PopulationRun> {
    // The queues are independent (one transaction each): rebuilt side by side, on two backends.
    const results = await Promise.all(QUEUE_TYPES.map((queueType) => this.rebuildOne(queueType, dryRun, actor)));
    const failed = results.filter((r) => r.error !== null);
    const sum = (key: 'added' | 'removed' | 'kept') => results.reduce((n, r) => n + r[key], 0);
    const run = await finishPopulationRun(this.deps.orm.em.fork(), id!, {
      status: failed.length ? 'failed' : 'succeeded', added: sum('added'), removed: sum('removed'), kept: sum('kept'), perQueue: results,
      error: failed.length ? failed.map((r) => `${r.queueType}: ${r.error}`).join('; ') : null,
    });
    const seconds = (run.finishedAt!.getTime() - run.startedAt.getTime()) / 1000;
    this.deps.metrics.repopulationDuration.observe({ trigger: run.trigger, status: run.status }, seconds);
    const steps = Object.fromEntries(results.map((r) => [r.queueType, r.stepsMs]));
    this.deps.logger.info({ runId: run.id, trigger: run.trigger, status: run.status, added: run.added, removed: run.removed, kept: run.kept, seconds, steps },
      'repopulation finished');
    return run;
  }

  /** One queue in one transaction, retried when it loses a race with a live write. */
  private async rebuildOne(queueType: (typeof QUEUE_TYPES)[number], dryRun: boolean, actor: string): Promise<QueueRebuildResult> {
    const started = performance.now();
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await phaseTransaction({ em: this.deps.orm.em.fork() }, async ({ em, store }) => {
          const rebuilt = await rebuildQueue(em, store, queueType, this.deps.topN, actor, dryRun, new Date());
          if (dryRun) throw new Rollback(rebuilt);
          await this.deps.events.publish(em, { topic: 'queueChanged', kind: 'QUEUE_REPOPULATED', queueType, userId: null, entryId: null });
          return rebuilt;
        });
        return { ...result, durationMs: Math.round(performance.now() - started), error: null };
      } catch (error) {
        if (error instanceof Rollback) return { ...error.result, durationMs: Math.round(performance.now() - started), error: null };
        const code = (error as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < ATTEMPTS) continue;
        this.deps.logger.error({ err: error, queueType }, 'repopulation of a queue failed');
        return {
          queueType, added: 0, removed: 0, kept: 0, reprioritised: 0,
          durationMs: Math.round(performance.now() - started), error: code ? `database error ${code}` : 'unexpected error',
        };
      }
    }
  }
}
