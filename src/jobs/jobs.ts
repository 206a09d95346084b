import type { Config } from '../config.js';
import type { Orm } from '../db/orm.js';
import { reapLines } from '../modules/call/lines.service.js';
import { markMissedCallbacks, notifyDueCallbacks } from '../modules/callback/callback-jobs.js';
import type { EventPublisher } from '../modules/events/events.js';
import type { Operation, QueueSettings } from '../modules/operation.js';
import { expireLeases } from '../modules/queue/leases.service.js';
import { refreshAllPriorities } from '../modules/queue/priorities.service.js';
import { compactLiveCounts } from '../modules/queue/queue.sql.js';
import { sampleQueues } from '../modules/stats/stats.service.js';
import { pruneEvents } from '../modules/events/events.sql.js';
import type { MigrationPhaseWatcher } from '../modules/migration/phase-watcher.js';
import type { Repopulation } from '../modules/repopulation/repopulation.service.js';
import type { Scheduler } from './scheduler.js';

export interface JobServices {
  orm: Orm;
  config: Config;
  events: EventPublisher;
  settings: QueueSettings;
  phases: MigrationPhaseWatcher;
  repopulation: Repopulation;
}

/** The write context of a job run (each opens its own phaseTransaction). */
export function jobOperation(services: JobServices, actor: string): Operation {
  const { orm, events, settings, phases } = services;
  return { em: orm.em.fork(), events, store: phases.store(), settings, actor };
}

/** The periodic jobs of every instance: priority refresh, repopulation, the lines job, the callback job, the lease job, the live counts, the queue samples. */
export function addJobs(scheduler: Scheduler, services: JobServices): void {
  const { config, repopulation } = services;
  scheduler.add({
    name: 'priorities', cron: config.PRIORITY_REFRESH_CRON, timezone: 'UTC',
    run: () => refreshAllPriorities(jobOperation(services, 'job:priorities')),
  });
  scheduler.add({
    name: 'repopulation', cron: config.REPOPULATE_CRON, timezone: config.REPOPULATE_TIMEZONE,
    run: (tick) => repopulation.run('cron', { actor: 'cron', tick }),
  });
  scheduler.add({
    name: 'lines', cron: config.LINES_JOB_CRON, timezone: 'UTC',
    run: () => reapLines(jobOperation(services, 'job:lines')),
  });
  scheduler.add({
    name: 'callbacks', cron: config.CALLBACK_JOB_CRON, timezone: 'UTC',
    run: async () => {
      await notifyDueCallbacks(jobOperation(services, 'job:callbacks'));
      await markMissedCallbacks(jobOperation(services, 'job:callbacks'), config.CALLBACK_GRACE_MINUTES);
    },
  });
  scheduler.add({
    name: 'leases', cron: config.LEASE_JOB_CRON, timezone: 'UTC',
    run: () => expireLeases(jobOperation(services, 'job:leases')),
  });
  scheduler.add({
    name: 'live-counts', cron: config.LIVE_COUNTS_CRON, timezone: 'UTC',
    run: () => compactLiveCounts(services.orm.em.fork()),
  });
  scheduler.add({
    name: 'event-retention', cron: '17 * * * *', timezone: 'UTC',
    run: () => pruneEvents(services.orm.em.fork(), config.EVENT_RETENTION_DAYS),
  });
  scheduler.add({
    name: 'samples', cron: config.QUEUE_SAMPLE_CRON, timezone: 'UTC',
    run: (tick) => sampleQueues(jobOperation(services, 'job:samples'), tick, config.QUEUE_SAMPLE_RETENTION_DAYS),
  });
}
