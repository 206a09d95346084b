import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import type { Orm } from '../db/orm.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Caller } from '../modules/auth/api-keys.js';
import type { EventPublisher } from '../modules/events/events.js';
import type { EventHub } from '../modules/events/hub.js';
import type { QueueSettings } from '../modules/operation.js';
import type { QueueStore } from '../modules/queue-type.js';
import type { Repopulation } from '../modules/repopulation/repopulation.service.js';
import type { QueueMigration } from '../modules/migration/migration.service.js';
import type { MigrationPhaseWatcher } from '../modules/migration/phase-watcher.js';
import type { WebhookSettings } from '../modules/webhooks/webhooks.service.js';
import { PersonalReads } from './personal-data.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What a WebSocket connection adds to the context: the instance's events and a way out. */
export interface LiveConnection {
  hub: EventHub;
  /** Events one subscription may hold for a client that is not reading. */
  bufferLimit: number;
  /** queueStats snapshots are sent no more often than this. */
  statsIntervalMs: number;
  /** Closes the client's connection with a WebSocket close code and reason. */
  drop(code: number, reason: string): void;
}

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
  /** The queue store of the phase this instance last saw (writes lock their own: phaseTransaction). */
  store: QueueStore;
  metrics: Metrics;
  logger: Logger;
  /** The repopulation job, for `repopulateQueues`. */
  repopulation: Repopulation;
  /** The legacy migration's admin operations. */
  migration: QueueMigration;
  /** This instance's view of the migration phase (reads outside write transactions). */
  phases: MigrationPhaseWatcher;
  /** What webhook administration needs: the private-address rule and the secrets' key. */
  webhooks: WebhookSettings;
  /** This request's reads of personal data: masks what the caller may not see, and feeds the audit. */
  personal: PersonalReads;
}

/** What every context of this instance shares. */
export interface ContextServices {
  orm: Orm;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  events: EventPublisher;
  settings: QueueSettings;
  repopulation: Repopulation;
  migration: QueueMigration;
  phases: MigrationPhaseWatcher;
  webhooks: WebhookSettings;
}

export type BuildContext = (caller: Caller, requestId: string, live?: LiveConnection | null) => GraphQLContext;

/** Returns the function that builds the context of each request and each subscription. */
export function contextBuilder(services: ContextServices): BuildContext {
  const { orm, phases } = services;
  const newScope = () => {
    const em = orm.em.fork();
    return { em, loaders: createLoaders(em, phases) };
  };
  /** One read scope per received event, shared by its subscribers; gone with the event. */
  const eventScopes = new WeakMap<object, ReturnType<typeof newScope>>();
  const eventScope = (event: object) => {
    let scope = eventScopes.get(event);
    if (!scope) eventScopes.set(event, (scope = newScope()));
    return scope;
  };

  return (caller, requestId, live = null) => {
    const { em, loaders } = newScope();
    const ctx: GraphQLContext = {
      requestId, caller, em, loaders, live,
      events: services.events, config: services.config, settings: services.settings, metrics: services.metrics,
      store: phases.store(), repopulation: services.repopulation, migration: services.migration, phases, webhooks: services.webhooks,
      logger: services.logger.child({ requestId }),
      personal: new PersonalReads(caller, () => orm.em.fork()),
      renew(event) {
        const scope = event ? eventScope(event) : newScope();
        ctx.em = scope.em;
        ctx.loaders = scope.loaders;
      },
    };
    return ctx;
  };
}
