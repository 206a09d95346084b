import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { queryRows, sql } from '../db/sql.js';
import type { EventPublisher, QueueEventKind } from './events/events.js';
import { parseWindow, type CallingWindow } from './queue/calling-window.js';
import type { QueueEntryRecord } from './queue/queue-entry.js';
import { queueRepositories, type QueueRepository } from './queue/queue.repository.js';
import { flagsOf, lockPhase } from './migration/phases.js';
import type { QueueType } from './queue/queue-type.js';

/** Rules of the queues that operators tune (from Config). */
export interface QueueSettings {
  window: CallingWindow;
  dailyAttemptCap: number;
  maxAssignedPerAgent: number;
  preferredAgentGraceMinutes: number;
  claimMaxChecks: number;
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
    cooldownMinutes: config.OUTCOME_COOLDOWNS,
    lines: {
      maxWaitSeconds: config.CALL_REQUEST_MAX_WAIT_SECONDS,
      maxCallSeconds: config.CALL_MAX_DURATION_SECONDS,
      defaultCallSeconds: config.DEFAULT_CALL_SECONDS,
    },
  };
}

/**
 * What a write service works with: the EntityManager (inside the transaction once one is
 * open), where to publish, the queue repository of the current phase, the settings, and who
 * acts (written to queue_transitions).
 */
export interface Operation {
  em: EntityManager;
  events: EventPublisher;
  queues: QueueRepository;
  settings: QueueSettings;
  actor: string;
}

/**
 * Runs `fn` in one transaction; nested calls join the outer one. The transaction first locks
 * the migration phase (shared) and works on the queue store that phase writes.
 */
export async function inTransaction<T>(op: Operation, fn: (tx: Operation) => Promise<T>): Promise<T> {
  if (op.em.isInTransaction()) return fn(op);
  return op.em.transactional(async (em) => {
    const phase = await lockPhase(em);
    return fn({ ...op, em, queues: queueRepositories[flagsOf(phase).readsFrom] });
  });
}

export async function publishEntry(op: Operation, kind: QueueEventKind, entry: QueueEntryRecord): Promise<void> {
  await op.events.publish(op.em, { topic: 'queueChanged', kind, queueType: entry.queueType, userId: entry.userId, entryId: entry.id });
}

/* recordTransition: every move into, between and out of the queues leaves a row. */
export async function recordTransition(
  op: Operation, userId: number, from: QueueType | null, to: QueueType | null, reason: string,
): Promise<void> {
  await queryRows(op.em, sql`INSERT INTO queue_transitions (user_id, from_queue, to_queue, reason, actor)
    VALUES (${userId}, ${from}, ${to}, ${reason.slice(0, 500)}, ${op.actor})`);
}
