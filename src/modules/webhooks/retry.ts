/**
 * When a failed delivery is tried again: exponential backoff from one second, doubling to an
 * hour at most, with full jitter over its upper half (so many endpoints failing together do not
 * retry together); an endpoint's Retry-After is honoured when it asks for longer. Past
 * `giveUpAt` the delivery is given up.
 */
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 3_600_000;

export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1), MAX_RETRY_MS);
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

/** Retry-After as seconds or an HTTP date, in milliseconds from `now`; null when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number): number | null {
  if (!header) return null;
  const text = header.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** The next attempt's time, or null when it would fall after giveUpAt (the delivery fails). */
export function nextAttemptAt(attempts: number, retryAfter: number | null, now: number, giveUpAt: number): Date | null {
  const delay = Math.max(backoffMs(attempts), retryAfter ?? 0);
  return now + delay > giveUpAt ? null : new Date(now + delay);
}
