import pg from 'pg';
import type { Logger } from '../../logger.js';
import { EVENT_CHANNEL, type ReceivedEvent } from './events.js';
import type { EventHub } from './hub.js';
import type { MissedEvents } from './catch-up.js';

export interface ListenerOptions {
  url: string;
  hub: EventHub;
  logger: Logger;
  /** Tells operators (and /metrics) whether events are flowing. */
  onState?: (connected: boolean) => void;
  maxBackoffMs?: number;
  /** Finds in the event log what a dropped connection missed (without it, a reconnect only signals a resync). */
  missed?: MissedEvents;
  /** How often the safe position of `missed` moves while connected. */
  safePointMs?: number;
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
  /** Notifications held while the missed events are read, so subscribers get them after those. */
  private held: ReceivedEvent[] | null = null;
  private safePointTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: ListenerOptions) {}

  /** Resolves once the first LISTEN is in place (events committed after this are received). */
  async start(): Promise<void> {
    await this.connect();
    await this.options.missed?.start();
    const every = this.options.safePointMs ?? 0;
    if (this.options.missed && every > 0) {
      this.safePointTimer = setInterval(() => this.moveSafePoint(this.options.missed!), every);
      this.safePointTimer.unref();
    }
  }

  /**
   * Moves the catch-up's safe position, confirmed by a round trip on this LISTEN connection
   * itself (LISTEN again is a no-op, and the connection still shows LISTEN in
   * pg_stat_activity); kept only if the same connection is still current and not catching up.
   */
  private moveSafePoint(missed: MissedEvents): void {
    const client = this.client;
    const current = () => client !== null && this.client === client && this.held === null;
    if (!current()) return;
    const confirm = async () => {
      try {
        await client!.query(`LISTEN ${EVENT_CHANNEL}`);
        return current();
      } catch {
        return false;
      }
    };
    missed.advance(confirm).then((late) => {
      if (late.length === 0) return;
      this.options.logger.warn({ events: late.length }, 'events whose notification never came, handed out from the event log');
      for (const event of late) this.options.hub.emit(event);
    }).catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not move the event safe position'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.safePointTimer) clearInterval(this.safePointTimer);
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
    // On a reconnect, what arrives is held from the moment LISTEN is sent: a notification can be
    // parsed (and emitted) before this method resumes after the LISTEN, and it must follow the
    // events missed meanwhile, which catchUp hands out first.
    if (this.connectedOnce && this.options.missed) this.held ??= [];
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
      await this.catchUp();
      this.options.logger.info('event listener reconnected');
      this.options.hub.emit({ topic: 'resync' });
    }
    this.options.hub.setEventsFlowing(true);
    this.connectedOnce = true;
  }

  /**
   * After a reconnect: what committed while the connection was down, from the log, handed out
   * before the notifications that arrive meanwhile (held until then); none twice.
   */
  private async catchUp(): Promise<void> {
    const missed = this.options.missed;
    if (!missed) return;
    this.held ??= [];
    try {
      const events = await missed.missed();
      if (events.length) this.options.logger.info({ events: events.length }, 'events missed while the listener was away, caught up from the event log');
      for (const event of events) this.options.hub.emit(event);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not read the events missed while the listener was away');
    } finally {
      const held = this.held ?? [];
      this.held = null;
      for (const event of held) this.emit(event);
    }
  }

  private deliver(payload: string | undefined): void {
    if (!payload) return;
    let event: ReceivedEvent;
    try {
      event = JSON.parse(payload) as ReceivedEvent;
    } catch (error) {
      this.options.logger.error({ err: error }, 'unreadable event payload ignored');
      return;
    }
    if (this.held) this.held.push(event);
    else this.emit(event);
  }

  private emit(event: ReceivedEvent): void {
    if (this.options.missed && !this.options.missed.firstTime(event.cursor)) return;
    this.options.hub.emit(event);
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
