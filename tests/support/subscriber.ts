import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** One graphql-ws connection, as an integrator's client would open it (real WebSocket). */
export interface Subscriber {
  /** Starts a subscription; its results queue up until `next()` takes them. */
  subscribe(query: string, variables?: Record<string, unknown>): Stream;
  /** Resolves with the close event's code and reason once the server closes the connection. */
  closed: Promise<{ code: number; reason: string }>;
  dispose(): Promise<void>;
}

export interface Stream {
  /** The next result (data or errors); rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<{ data?: any; errors?: any[] }>;
  /** Results received and not yet taken. */
  pending(): number;
  unsubscribe(): void;
}

export function connect(httpUrl: string, key: string | null): Subscriber {
  let resolveClosed!: (value: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (resolveClosed = resolve));
  const client: Client = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
    on: { closed: (event) => resolveClosed({ code: (event as any).code, reason: String((event as any).reason) }) },
    onNonLazyError: () => undefined,
  });
  return {
    closed,
    subscribe(query, variables) {
      const results: { data?: any; errors?: any[] }[] = [];
      let waiter: (() => void) | null = null;
      const push = (result: { data?: any; errors?: any[] }) => {
        results.push(result);
        waiter?.();
      };
      const stop = client.subscribe({ query, variables }, {
        next: (result) => push(result as never),
        error: (error) => push({ errors: Array.isArray(error) ? error : [{ message: String((error as any)?.reason ?? error) }] }),
        complete: () => undefined,
      });
      return {
        pending: () => results.length,
        unsubscribe: stop,
        async next(timeoutMs = 5000) {
          const deadline = Date.now() + timeoutMs;
          while (results.length === 0) {
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`no subscription result within ${timeoutMs} ms`);
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, left);
              waiter = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            waiter = null;
          }
          return results.shift()!;
        },
      };
    },
    dispose: () => client.dispose() as Promise<void>,
  };
}

/** graphql-ws does not acknowledge a subscribe: wait until the server counts the listeners. */
export async function untilSubscribed(count: () => number, expected: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (count() < expected) {
    if (Date.now() > deadline) throw new Error(`only ${count()} of ${expected} subscriptions registered`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
