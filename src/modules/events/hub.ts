import type { ReceivedEvent } from './events.js';

/**
 * Sent to local subscribers after the LISTEN connection came back: notifications sent while it
 * was down are lost (NOTIFY is not durable), so snapshot subscribers must re-read.
 */
export interface Resync { topic: 'resync' }

export type HubSignal = ReceivedEvent | Resync;

type Handler = (signal: HubSignal) => void;

/** In-process fan-out of what the listener receives, in the order Postgres delivered it. */
export class EventHub {
  private readonly handlers = new Set<Handler>();

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
