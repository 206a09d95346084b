/**
 * A subscriber's buffer: events are pushed as they arrive and pulled by the GraphQL layer as
 * fast as the client's socket takes them. It is bounded — a client that stops reading cannot
 * make the server hold its events without limit: past `limit` the mailbox closes and
 * `onOverflow` drops the client.
 *
 * With `coalesce`, at most one item waits (a newer push replaces it) and items are handed out
 * no more often than every `minIntervalMs`: "something changed, send a fresh snapshot".
 */
export interface MailboxOptions {
  limit: number;
  onOverflow?: () => void;
  /** Called once when the consumer or an overflow ends the mailbox (unsubscribe here). */
  onClose?: () => void;
  coalesce?: { minIntervalMs: number };
}

export class Mailbox<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiter: ((result: IteratorResult<T>) => void) | null = null;
  private closed = false;
  private lastHandedOut = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: MailboxOptions) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.closed) return;
    if (this.options.coalesce) {
      this.items[0] = item;
      this.wakeCoalesced();
      return;
    }
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = null;
      resolve({ value: item, done: false });
      return;
    }
    if (this.items.length >= this.options.limit) {
      this.close();
      this.options.onOverflow?.();
      return;
    }
    this.items.push(item);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0 && !this.options.coalesce) {
      return Promise.resolve({ value: this.items.shift()!, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiter = resolve;
      if (this.options.coalesce) this.wakeCoalesced();
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    this.close();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.items.length = 0;
    if (this.timer) clearTimeout(this.timer);
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.({ value: undefined, done: true });
    this.options.onClose?.();
  }

  /** Hands the waiting item to the waiting consumer, now or when the interval allows. */
  private wakeCoalesced(): void {
    if (!this.waiter || this.items.length === 0 || this.timer) return;
    const wait = this.lastHandedOut + this.options.coalesce!.minIntervalMs - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.wakeCoalesced();
      }, wait);
      return;
    }
    const resolve = this.waiter;
    this.waiter = null;
    this.lastHandedOut = Date.now();
    resolve({ value: this.items.pop()!, done: false });
  }
}
