import type { Caller } from '../modules/auth/api-keys.js';

/**
 * Requests per API key, as a token bucket per key on this instance: `perMinute` tokens a
 * minute, up to `burst` saved up. Per instance, not across instances: a shared budget would cost
 * a database write (or a shared store) on every request — the very load it is there to bound —
 * so with N instances behind a balancer a key gets up to N budgets. 0 switches it off.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly perMinute: number, private readonly burst: number) {}

  /** Takes one token for the caller's key: null when allowed, else the seconds until one is free. */
  take(caller: Caller): number | null {
    if (this.perMinute <= 0) return null;
    const key = String(caller.keyId);
    const now = Date.now();
    const perMs = this.perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    if (this.buckets.size > 50_000) this.buckets.clear(); // keys are few; this only bounds memory
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return null;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
  }
}

export function rateLimitMessage(perMinute: number, retryAfterSeconds: number): string {
  return `too many requests for this API key (at most ${perMinute} a minute, with bursts); try again in ${retryAfterSeconds} s`;
}
