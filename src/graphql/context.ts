import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Caller } from '../modules/auth/api-keys.js';
import type { EventPublisher } from '../modules/events/events.js';
import type { QueueSettings } from '../modules/operation.js';
import type { QueueRepository } from '../modules/queue/queue.repository.js';
import type { Repopulation } from '../modules/repopulation/repopulation.service.js';
import type { QueueMigration } from '../modules/migration/migration.service.js';
import type { MigrationPhaseWatcher } from '../modules/migration/phase-watcher.js';
import type { Metrics } from '../metrics.js';
import type { LiveConnection } from './live.js';
import type { Loaders } from './loaders.js';

/** Everything one request (or one subscription event) works with; built fresh each time. */
export interface GraphQLContext {
  requestId: string;
  /** Null when no key was presented: only `requireRole` decides what that may do. */
  caller: Caller | null;
  /** An EntityManager forked for this request (its own identity map). */
  em: EntityManager;
  loaders: Loaders;
  /**
   * Fresh `em` and `loaders`, called by a subscription before it resolves each event; with the
   * event, the ones every subscriber of this instance shares for that event.
   */
  renew(event?: object | null): void;
  /** Set on WebSocket connections: the instance's event hub and the connection's limits. */
  live: LiveConnection | null;
  events: EventPublisher;
  config: Config;
  settings: QueueSettings;
  /** Queue reads and writes of the current migration phase. */
  queues: QueueRepository;
  metrics: Metrics;
  logger: Logger;
  /** The repopulation job, for `repopulateQueues`. */
  repopulation: Repopulation;
  /** The legacy migration's admin operations. */
  migration: QueueMigration;
  /** This instance's view of the migration phase (reads outside write transactions). */
  phases: MigrationPhaseWatcher;
}
