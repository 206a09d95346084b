import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../../db/orm.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import type { QueueReads } from '../queue/queue.service.js';
import type { QueueStore } from '../queue-type.js';
import { readPhase } from './phase.sql.js';
import { flagsOf, PHASES, storeOf, type MigrationPhase } from './phases.js';

/**
 * This instance's view of the migration phase, for reads outside a write transaction
 * (dashboards, subscriptions): polled from `migration_state`, so another instance's change is
 * seen within one poll interval. Writes do not use it: they lock the phase in their own
 * transaction (phases.ts `lockPhase`).
 */
export class MigrationPhaseWatcher implements QueueReads {
  private phase: MigrationPhase = 'NEW_ONLY';
  private timer: NodeJS.Timeout | null = null;
  private fallbacks = 0;

  constructor(private readonly deps: { orm: Orm; logger: Logger; metrics: Metrics; pollMs: number }) {}

  async start(): Promise<void> {
    this.noticed(await readPhase(this.deps.orm.em.fork()));
    this.timer = setInterval(() => void this.poll(), this.deps.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  current(): MigrationPhase {
    return this.phase;
  }

  /** The store of the current phase, for work outside a transaction (a write's phaseTransaction picks its own). */
  store(): QueueStore {
    return storeOf(this.phase);
  }

  /** Failed separated reads served from call_queue since this instance started. */
  get readFallbacks(): number {
    return this.fallbacks;
  }

  /** Called by the poll, and at once by this instance's own phase changes. */
  noticed(phase: MigrationPhase): void {
    if (phase !== this.phase) this.deps.logger.info({ from: this.phase, to: phase }, 'migration phase changed');
    this.phase = phase;
    for (const p of PHASES) this.deps.metrics.migrationPhase.set({ phase: p }, p === phase ? 1 : 0);
  }

  async read<T>(em: EntityManager, fn: (store: QueueStore) => Promise<T>): Promise<T> {
    const flags = flagsOf(this.phase);
    if (!flags.fallbackToLegacy) return fn(storeOf(this.phase));
    try {
      return await fn('separated');
    } catch (error) {
      // Inside a transaction the failed statement has aborted it: nothing to fall back in.
      if (em.isInTransaction()) throw error;
      this.fallbacks += 1;
      this.deps.metrics.migrationReadFallbacks.inc();
      this.deps.logger.warn({ err: error }, 'READ_NEW: a read of the separated queues failed; served from call_queue');
      return fn('legacy');
    }
  }

  private async poll(): Promise<void> {
    try {
      this.noticed(await readPhase(this.deps.orm.em.fork()));
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not read the migration phase; keeping the last one seen');
    }
  }
}
