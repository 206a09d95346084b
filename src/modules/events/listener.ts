import pg from 'pg';
import type { Logger } from '../../logger.js';
import { EVENT_CHANNEL, type ReceivedEvent } from './events.js';
import type { EventHub } from './hub.js';

export interface ListenerOptions {
  url: string;
  hub: EventHub;
  logger: Logger;
  /** Tells operators (and /metrics) whether events are flowing. */
  onState?: (connected: boolean) => void;
  maxBackoffMs?: number;
}

/** Set on the LISTEN connection so operators (and tests) can find it in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'callqueue-listener';

/**
 * One LISTEN connection per instance, outside the pool (a pooled connection would be handed to
 * queries and lose the LISTEN). When it drops — network, failover, pg_terminate_backend — it
 * reconnects with a capped backoff and emits a resync once it listens again.
 */
export class EventListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private connectedOnce = false;

  constructor(private readonly options: ListenerOptions) {}

  /** Resolves once the first LISTEN is in place (events committed after this are received). */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url, application_name: LISTENER_APPLICATION_NAME });
    client.on('notification', (message) => this.deliver(message.payload));
    client.on('error', (error) => {
      // 57P01: the server is shutting down (or an operator ended the backend) — expected, it reconnects.
      const expected = (error as { code?: string }).code === '57P01';
      this.options.logger[expected ? 'info' : 'warn']({ err: error }, 'event listener connection lost');
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    // Current before connecting, so a drop during LISTEN is seen by lost() like any other.
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENT_CHANNEL}`);
    } catch (error) {
      client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped || this.client !== client) return;
    this.attempt = 0;
    this.options.onState?.(true);
    if (this.connectedOnce) {
      this.options.logger.info('event listener reconnected');
      this.options.hub.emit({ topic: 'resync' });
    }
    this.options.hub.setEventsFlowing(true);
    this.connectedOnce = true;
  }

  private deliver(payload: string | undefined): void {
    if (!payload) return;
    try {
      this.options.hub.emit(JSON.parse(payload) as ReceivedEvent);
    } catch (error) {
      this.options.logger.error({ err: error }, 'unreadable event payload ignored');
    }
  }

  private lost(client: pg.Client): void {
    if (this.client !== client || this.stopped) return;
    this.client = null;
    this.options.onState?.(false);
    this.options.hub.setEventsFlowing(false);
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retryTimer) return;
    const delay = Math.min(this.options.maxBackoffMs ?? 5000, 50 * 2 ** this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect().catch((error) => {
        this.options.logger.warn({ err: error, attempt: this.attempt }, 'event listener reconnect failed');
        this.scheduleReconnect();
      });
    }, delay);
  }
}
