import type { EntityManager } from '@mikro-orm/postgresql';
import { notify } from './events.sql.js';
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
  | { topic: 'apiKeyChanged'; keyId: number };

/** An event as an instance receives it: what was published, and when it was published. */
export type ReceivedEvent = DomainEvent & { at: string };
export type QueueChangedEvent = Extract<ReceivedEvent, { topic: 'queueChanged' }>;

export interface EventPublisher {
  publish(em: EntityManager, event: DomainEvent): Promise<void>;
}

/** pg_notify payloads are limited to 8000 bytes; ours are a few ids. */
export const pgNotifyPublisher: EventPublisher = {
  async publish(em, event) {
    const payload = JSON.stringify({ ...event, at: new Date().toISOString() });
    await notify(em, EVENT_CHANNEL, payload);
  },
};
