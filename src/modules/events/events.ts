import type { EntityManager } from '@mikro-orm/postgresql';
import { toDate } from '../../db/sql.js';
import { logAndNotify, notify, type EventRow, type LoggedEvent } from './events.sql.js';
import type { QueueType } from '../queue-type.js';

/**
 * The event seam. Services publish inside the transaction that made the change: the event is
 * sent with pg_notify, which Postgres delivers only when (and if) that transaction commits, to
 * every instance listening. Payloads carry ids; subscribers load current rows themselves.
 */
export const EVENT_CHANNEL = 'callqueue_events';

export type QueueEventKind =
  | 'ENTRY_ADDED' | 'ENTRY_UPDATED' | 'ENTRY_ASSIGNED' | 'ENTRY_RELEASED' | 'ENTRY_REMOVED'
  | 'ENTRY_TRANSITIONED' | 'QUEUE_REPOPULATED';

export type DomainEvent =
  | { topic: 'queueChanged'; kind: QueueEventKind; queueType: QueueType; userId: number | null; entryId: number | null }
  | { topic: 'callbackDue'; callbackId: number; agentId: number | null }
  /** requestId null: the line moved, every queued request's position may have changed. */
  | { topic: 'callRequestUpdated'; requestId: number | null }
  | { topic: 'conversionRecorded'; conversionId: number }
  | { topic: 'migrationProgress'; runId: number }
  /** Sent by the database (a trigger on call_lines) when a call starts or ends or the limit moves. */
  | { topic: 'linesChanged' }
  /** Sent by the database (a trigger on api_keys) when a key is revoked or its expiry moves. */
  | { topic: 'apiKeyChanged'; keyId: number }
  /** Sent by the database's own log triggers (claimant facts, calls, callbacks): the log has grown. */
  | { topic: 'logged' };

/** An event as an instance receives it: what was published, when, and its place in the event log ("txid:id") when logged. */
export type ReceivedEvent = DomainEvent & { at: string; cursor?: string };
export type QueueChangedEvent = Extract<ReceivedEvent, { topic: 'queueChanged' }>;

export interface EventPublisher {
  publish(em: EntityManager, event: DomainEvent): Promise<void>;
}

/**
 * What an integrator can follow in the event log (events(after:)), by event type. The others
 * (a line moved, "re-read the requests") are signals for this service's own subscriptions.
 */
export function loggedAs(event: DomainEvent): LoggedEvent | null {
  switch (event.topic) {
    case 'queueChanged':
      return { type: event.kind, queueType: event.queueType, userId: event.userId, entryId: event.entryId, subjectId: null };
    case 'callbackDue':
      return { type: 'CALLBACK_DUE', queueType: null, userId: null, entryId: null, subjectId: event.callbackId, agentId: event.agentId };
    case 'callRequestUpdated':
      return event.requestId === null ? null : { type: 'CALL_REQUEST_UPDATED', queueType: null, userId: null, entryId: null, subjectId: event.requestId };
    case 'conversionRecorded':
      return { type: 'CONVERSION_RECORDED', queueType: null, userId: null, entryId: null, subjectId: event.conversionId };
    case 'migrationProgress':
      return { type: 'MIGRATION_PROGRESS', queueType: null, userId: null, entryId: null, subjectId: event.runId };
    default:
      return null;
  }
}

const QUEUE_KINDS: ReadonlySet<string> = new Set<QueueEventKind>([
  'ENTRY_ADDED', 'ENTRY_UPDATED', 'ENTRY_ASSIGNED', 'ENTRY_RELEASED', 'ENTRY_REMOVED', 'ENTRY_TRANSITIONED', 'QUEUE_REPOPULATED',
]);
export const isQueueKind = (type: string): type is QueueEventKind => QUEUE_KINDS.has(type);

/** The logged types whose notifications hot writes send after their commit (migration 0025's callqueue_send). */
export const NOTIFIED_AFTER_COMMIT: readonly string[] = [...QUEUE_KINDS, 'CONVERSION_RECORDED'];

/** The event a log row records, as an instance would have received it (the inverse of loggedAs). */
export function receivedFromLog(row: EventRow): ReceivedEvent {
  const stamp = { at: toDate(row.at)!.toISOString(), cursor: `${row.txid}:${row.id}` };
  const id = (v: number | string | null) => (v === null ? null : Number(v));
  if (isQueueKind(row.type)) {
    return { topic: 'queueChanged', kind: row.type, queueType: row.queue_type as QueueType, userId: id(row.user_id), entryId: id(row.entry_id), ...stamp };
  }
  switch (row.type) {
    case 'CALLBACK_DUE': return { topic: 'callbackDue', callbackId: Number(row.subject_id), agentId: id(row.agent_id), ...stamp };
    case 'CALL_REQUEST_UPDATED': return { topic: 'callRequestUpdated', requestId: Number(row.subject_id), ...stamp };
    case 'CONVERSION_RECORDED': return { topic: 'conversionRecorded', conversionId: Number(row.subject_id), ...stamp };
    case 'MIGRATION_PROGRESS': return { topic: 'migrationProgress', runId: Number(row.subject_id), ...stamp };
    default: return { topic: 'logged', ...stamp }; // written by the database's triggers: followed in the log only
  }
}

/** pg_notify payloads are limited to 8000 bytes; ours are a few ids. The log row goes in the same statement. */
export const pgNotifyPublisher: EventPublisher = {
  async publish(em, event) {
    const payload = JSON.stringify({ ...event, at: new Date().toISOString() });
    const logged = loggedAs(event);
    if (logged) await logAndNotify(em, EVENT_CHANNEL, payload, logged);
    else await notify(em, EVENT_CHANNEL, payload);
  },
};
