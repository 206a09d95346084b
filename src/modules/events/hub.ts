import type { ReceivedEvent } from './events.js';

/**
 * Sent to local subscribers after the LISTEN connection came back: notifications sent while it
 * was down are lost (NOTIFY is not durable), so snapshot subscribers must re-read.
 */
export interface Resync { topic: 'resync' }

/** The LISTEN connection went down or came back: whether events are flowing now. */
export interface LiveState { topic: 'liveStatus'; eventsFlowing: boolean }

export type HubSignal = ReceivedEvent | Resync | LiveState;

type Handler = (signal: HubSignal) => void;

/** In-process fan-out of what the listener receives, in the order Postgres delivered it. */
export class EventHub {
  private readonly handlers = new Set<Handler>();
  private flowing = false;

  /** Whether this instance's LISTEN connection is up (events are being received). */
  get eventsFlowing(): boolean {
    return this.flowing;
  }

  /** The listener reports its state; subscribers of liveStatus hear each change. */
  setEventsFlowing(flowing: boolean): void {
    if (flowing === this.flowing) return;
    this.flowing = flowing;
    this.emit({ topic: 'liveStatus', eventsFlowing: flowing });
  }

  get subscriberCount(): number {
    return this.handlers.size;
  }

  on(handler: Handler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  emit(signal: HubSignal): void {
    for (const handler of this.handlers) handler(signal);
  }
}
