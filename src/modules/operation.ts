import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import type { EventPublisher, QueueEventKind } from './events/events.js';
import { lockPhase } from './migration/phase.sql.js';
import { storeOf, type MigrationPhase } from './migration/phases.js';
import { parseWindow, type CallingWindow } from './queue/calling-window.js';
import type { QueueEntryRecord } from './queue/queue-entry.js';
import type { QueueStore } from './queue-type.js';

/** Rules of the queues that operators tune (from Config). */
export interface QueueSettings {
  window: CallingWindow;
  dailyAttemptCap: number;
  maxAssignedPerAgent: number;
  preferredAgentGraceMinutes: number;
  claimMaxChecks: number;
  /** An assignment lapses this long after it was made or last renewed. */
  leaseSeconds: number;
  cooldownMinutes: Readonly<Record<string, number>>;
  lines: {
    /** A queued call request expires after this long. */
    maxWaitSeconds: number;
    /** An active session older than this is ended as failed by the reaper. */
    maxCallSeconds: number;
    /** The average call duration assumed until there is history (wait estimates). */
    defaultCallSeconds: number;
  };
}

export function queueSettings(config: Config): QueueSettings {
  return {
    window: parseWindow(config.CALLING_WINDOW_START, config.CALLING_WINDOW_END),
    dailyAttemptCap: config.DAILY_ATTEMPT_CAP,
    maxAssignedPerAgent: config.MAX_ASSIGNED_PER_AGENT,
    preferredAgentGraceMinutes: config.PREFERRED_AGENT_GRACE_MINUTES,
    claimMaxChecks: config.CLAIM_MAX_CHECKS,
    leaseSeconds: config.ASSIGNMENT_LEASE_SECONDS,
    cooldownMinutes: config.OUTCOME_COOLDOWNS,
    lines: {
      maxWaitSeconds: config.CALL_REQUEST_MAX_WAIT_SECONDS,
      maxCallSeconds: config.CALL_MAX_DURATION_SECONDS,
      defaultCallSeconds: config.DEFAULT_CALL_SECONDS,
    },
  };
}

/**
 * An operation: what a write service works with — the EntityManager (inside the transaction
 * once one is open), where to publish, the queue store (separated tables or legacy
 * `call_queue`, as data: every queue statement takes it), the settings, and who acts (written
 * to queue_transitions).
 */
export interface Operation {
  em: EntityManager;
  events: EventPublisher;
  store: QueueStore;
  settings: QueueSettings;
  actor: string;
}

/** What a phase transaction hands its body: the transaction's EntityManager, the phase it locked, and that phase's store. */
export interface PhaseScope {
  em: EntityManager;
  phase: MigrationPhase;
  store: QueueStore;
}

/**
 * Runs `fn` in one transaction that first share-locks the migration phase (`lockPhase`) and
 * works on the store that phase writes: a phase change waits for the writes in flight, and no
 * write runs under a phase that has ended. Every write path opens its transactions here — the
 * services (with an Operation), the repopulation and the migration's batches (with an
 * EntityManager alone); a call inside an open transaction joins it (its phase is locked).
 */
export async function phaseTransaction<S extends { em: EntityManager }, T>(scope: S, fn: (tx: S & PhaseScope) => Promise<T>): Promise<T> {
  if (scope.em.isInTransaction()) return fn(scope as S & PhaseScope);
  return scope.em.transactional(async (em) => {
    const phase = await lockPhase(em);
    return fn({ ...scope, em, phase, store: storeOf(phase) });
  });
}

export async function publishEntry(op: Operation, kind: QueueEventKind, entry: QueueEntryRecord): Promise<void> {
  await op.events.publish(op.em, { topic: 'queueChanged', kind, queueType: entry.queueType, userId: entry.userId, entryId: entry.id });
}
