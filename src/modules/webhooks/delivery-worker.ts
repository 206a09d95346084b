import type { EntityManager } from '@mikro-orm/postgresql';
import { toDate } from '../../db/sql.js';
import type { Logger } from '../../logger.js';
import { eventData } from '../events/event-log.js';
import type { EventHub } from '../events/hub.js';
import { nextAttemptAt, retryAfterMs } from './retry.js';
import type { SecretKeeper } from './secret-keeper.js';
import type { SendResult, WebhookSender } from './sender.js';
import { signatureHeader } from './signature.js';
import {
  claimDeliveries, disableWebhook, enabledWebhookIds, fanOut, recordAttempts, type AttemptResult, type ClaimedDelivery,
} from './webhooks.sql.js';

export interface WorkerOptions {
  em: () => EntityManager;
  hub: EventHub;
  logger: Logger;
  sender: WebhookSender;
  secrets: SecretKeeper;
  retryHours: number;
  /** Requests in flight at once from this instance, in all. */
  concurrency: number;
  /** …and to one endpoint: a slow or failing one can never take every slot. */
  perEndpoint: number;
  /** A claimed delivery is another instance's to retry after this long without a result. */
  leaseMs: number;
  /** Looks for due retries and for other instances' work this often. */
  pollMs: number;
  onAttempt?: (result: 'delivered' | 'failed' | 'retry') => void;
}

const FAN_OUT_BATCH = 1000;

/**
 * Sends webhook deliveries. Every instance runs one: events become deliveries (fanOut, each
 * endpoint's cursor advanced under its row lock, SKIP LOCKED), deliveries are claimed with a
 * lease (SKIP LOCKED too), sent concurrently within per-endpoint limits, and their results are
 * written in batches. Woken by every announced change and by a poll for retries.
 */
export class WebhookWorker {
  private readonly inFlight = new Map<number, number>();
  private total = 0;
  private results: AttemptResult[] = [];
  private running: Promise<void> | null = null;
  private again = false;
  private pollAgain = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private unsubscribe = () => {};
  private readonly opened = new Map<string, string>();
  private readonly idle = new Set<() => void>();
  /** The enabled endpoints, read at each poll: without one, events wake nothing. */
  private endpoints: number[] = [];

  constructor(private readonly options: WorkerOptions) {}

  start(): void {
    this.unsubscribe = this.options.hub.on((signal) => {
      if (this.endpoints.length > 0 && signal.topic !== 'liveStatus') this.wake();
    });
    const poll = () => {
      this.wake(true);
      this.timer = setTimeout(poll, this.options.pollMs);
    };
    poll();
  }

  /** Stops claiming; waits for the requests in flight (each bounded by its timeout) and records them. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    while (this.total > 0) await new Promise<void>((resolve) => this.idle.add(resolve));
    await this.flush();
    this.options.sender.close();
  }

  /** Runs a cycle now, or once more after the one running. */
  wake(poll = false): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      this.pollAgain ||= poll;
      return;
    }
    this.running = this.cycle(poll).catch((error: unknown) => {
      this.options.logger.warn({ err: error }, 'webhook cycle failed; retried at the next poll');
    }).finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        const poll = this.pollAgain;
        this.again = false;
        this.pollAgain = false;
        this.wake(poll);
      }
    });
  }

  private async cycle(poll: boolean): Promise<void> {
    const { em, concurrency, perEndpoint, leaseMs } = this.options;
    // The endpoints are read at each poll only: a change wakes this often, and an endpoint
    // disabled meanwhile is skipped by the fan-out and the claim themselves.
    if (poll) this.endpoints = await enabledWebhookIds(em());
    if (this.endpoints.length === 0) return;
    while ((await fanOut(em(), FAN_OUT_BATCH)) === FAN_OUT_BATCH && !this.stopped);
    for (const id of this.endpoints) {
      const free = Math.min(perEndpoint - (this.inFlight.get(id) ?? 0), concurrency - this.total);
      if (free <= 0 || this.stopped) continue;
      for (const delivery of await claimDeliveries(em(), id, free, leaseMs)) this.dispatch(delivery);
    }
  }

  private async secretsOf(d: ClaimedDelivery): Promise<string[]> {
    const box = await this.options.secrets.box(this.options.em());
    const open = (sealed: string) => {
      let secret = this.opened.get(sealed);
      if (secret === undefined) {
        secret = box.open(sealed);
        if (this.opened.size > 1000) this.opened.clear();
        this.opened.set(sealed, secret);
      }
      return secret;
    };
    return [d.secret_sealed, d.previous_secret_sealed].filter((s): s is string => s !== null).map(open);
  }

  private dispatch(d: ClaimedDelivery): void {
    const webhookId = Number(d.webhook_id);
    this.inFlight.set(webhookId, (this.inFlight.get(webhookId) ?? 0) + 1);
    this.total += 1;
    void this.deliver(d).then(async (result) => {
      this.inFlight.set(webhookId, this.inFlight.get(webhookId)! - 1);
      this.total -= 1;
      this.results.push(this.outcome(d, result));
      if (result.responseCode === 410) {
        await disableWebhook(this.options.em(), webhookId, `the endpoint answered 410 Gone on ${new Date().toISOString()}`)
          .catch((error: unknown) => this.options.logger.warn({ err: error, webhookId }, 'could not disable a webhook'));
        this.options.logger.warn({ webhookId }, 'webhook disabled: its endpoint answered 410 Gone');
      }
      await this.flush();
      if (this.total === 0) {
        for (const resolve of this.idle) resolve();
        this.idle.clear();
      }
      this.wake();
    });
  }

  private async deliver(d: ClaimedDelivery): Promise<SendResult> {
    try {
      const id = String(d.event_id);
      const data = eventData({
        id: d.event_id, txid: d.event_txid, type: d.event_type, queue_type: d.queue_type, user_id: d.user_id,
        entry_id: d.entry_id, subject_id: d.subject_id, agent_id: d.agent_id, detail: d.detail, at: d.event_at,
      });
      const body = JSON.stringify({ type: d.event_type, timestamp: data.at, data });
      const timestamp = Math.floor(Date.now() / 1000);
      const headers = {
        'webhook-id': id, 'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(await this.secretsOf(d), id, timestamp, body),
      };
      return await this.options.sender.send(d.url, headers, body);
    } catch (error) {
      return { responseCode: null, retryAfter: undefined, durationMs: 0, error: error instanceof Error ? error.message : String(error) };
    }
  }

  private outcome(d: ClaimedDelivery, r: SendResult): AttemptResult {
    const now = Date.now();
    const base = { deliveryId: Number(d.id), at: new Date(now - r.durationMs), responseCode: r.responseCode, durationMs: r.durationMs, error: r.error };
    if (r.responseCode !== null && r.responseCode >= 200 && r.responseCode < 300) {
      this.options.onAttempt?.('delivered');
      return { ...base, status: 'DELIVERED', nextAttemptAt: null };
    }
    const giveUpAt = toDate(d.created_at)!.getTime() + this.options.retryHours * 3_600_000;
    const next = nextAttemptAt(d.attempts, retryAfterMs(r.retryAfter, now), now, giveUpAt);
    this.options.onAttempt?.(next ? 'retry' : 'failed');
    return next ? { ...base, status: 'PENDING', nextAttemptAt: next } : { ...base, status: 'FAILED', nextAttemptAt: null };
  }

  /** Writes the results gathered so far in one statement (one flush at a time; the next takes what came meanwhile). */
  private async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.results.length === 0) return;
    const batch = this.results;
    this.results = [];
    this.flushing = recordAttempts(this.options.em(), batch)
      .catch((error: unknown) => {
        // Unrecorded, a delivery's lease lapses and it is sent again: at least once holds.
        this.options.logger.warn({ err: error, deliveries: batch.length }, 'could not record webhook attempts');
      })
      .finally(() => { this.flushing = null; });
    await this.flushing;
  }
}
