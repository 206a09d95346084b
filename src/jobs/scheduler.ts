import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../logger.js';

/** A periodic job: what runs at each tick of its cron expression. */
export interface Job {
  name: string;
  /** A node-cron expression (5 fields, or 6 with seconds); empty switches the job off. */
  cron: string;
  timezone: string;
  /** `tick` is the scheduled time of this run, the same on every instance. */
  run(tick: Date): Promise<unknown>;
}

/**
 * Runs the jobs of one instance. Whether a tick runs once across instances is each job's own
 * business (decided in Postgres); here a job never overlaps itself in this process, and stop()
 * waits for runs in progress so SIGTERM never cuts a run in half.
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly logger: Logger) {}

  add(job: Job): void {
    if (!job.cron) {
      this.logger.info({ job: job.name }, 'job switched off (empty cron expression)');
      return;
    }
    let busy = false;
    const task = cron.createTask(job.cron, async (context) => {
      if (busy) {
        this.logger.warn({ job: job.name }, 'previous run still going; tick skipped');
        return;
      }
      busy = true;
      const tick = new Date(Math.floor(context.date.getTime() / 1000) * 1000);
      const run = job.run(tick)
        .catch((error: unknown) => this.logger.error({ err: error, job: job.name }, 'job failed'))
        .finally(() => {
          busy = false;
          this.running.delete(run);
        });
      this.running.add(run);
      await run;
    }, { timezone: job.timezone, name: job.name });
    this.tasks.push(task);
  }

  start(): void {
    for (const task of this.tasks) void task.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.tasks.map((task) => task.destroy()));
    await Promise.all([...this.running]);
  }
}
