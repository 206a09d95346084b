import cron from 'node-cron';
import { z } from 'zod';
import { parseSecretsKey } from './modules/webhooks/secret-box.js';

/**
 * Every setting the service reads, parsed from the environment in one place. Nothing else in
 * the code reads `process.env`; tests build a Config with `loadConfig({...})`.
 */
const cronExpression = z.string().trim().refine((v) => v === '' || cron.validate(v),
  { message: 'not a cron expression (5 fields, or 6 with seconds; empty switches the job off)' });

/** Minutes before a claimant is called again after each outcome. */
export const DEFAULT_COOLDOWNS: Readonly<Record<string, number>> = {
  answered: 1440, no_answer: 120, busy: 30, voicemail: 240, wrong_number: 10080,
  callback_requested: 0, refused: 0, converted: 0, failed: 15,
};
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const schema = z.object({
  DATABASE_URL: z.string().url().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  ADMIN_API_KEY: z.string().min(16, 'ADMIN_API_KEY must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAX_CONCURRENT_CALLS: positiveInt(10),
  /** A call request waiting longer than this for a line expires. */
  CALL_REQUEST_MAX_WAIT_SECONDS: positiveInt(600),
  /** A session still active after this long is ended as failed (a crashed desktop cannot hold a line). */
  CALL_MAX_DURATION_SECONDS: positiveInt(3600),
  /** The average call duration wait estimates assume until calls have been made. */
  DEFAULT_CALL_SECONDS: positiveInt(180),
  /** The lines job: expires old requests and reaps stuck sessions (every 15 s). */
  LINES_JOB_CRON: cronExpression.default('*/15 * * * * *'),
  /**
   * The priority refresh: re-ages the live entries to the policy evaluated now (every 30 s, so
   * an entry's priority is at most this old plus one run).
   */
  PRIORITY_REFRESH_CRON: cronExpression.default('*/30 * * * * *'),
  REPOPULATE_CRON: cronExpression.default('0 * * * *'),
  REPOPULATE_TIMEZONE: z.string().default('UTC').refine((zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, { message: 'not an IANA time zone (for example Europe/Madrid)' }),
  QUEUE_TOP_N: positiveInt(1000),
  /** The callback job: announces due callbacks and marks missed ones (every minute). */
  CALLBACK_JOB_CRON: cronExpression.default('* * * * *'),
  /** A callback not made this long after it was due is missed; its entry returns to normal priority. */
  CALLBACK_GRACE_MINUTES: positiveInt(120),
  /** An assignment is a lease: it lapses (the entry goes back to pending) this long after the claim or the last renewal. */
  ASSIGNMENT_LEASE_SECONDS: positiveInt(900),
  /** The lease job: lapsed assignments back to pending (every 5 s: within 10 s of lapsing). */
  LEASE_JOB_CRON: cronExpression.default('*/5 * * * * *'),
  LIVE_COUNTS_CRON: cronExpression.default('*/10 * * * * *'),
  /** Events older than this leave the event log (the retention job, hourly). */
  EVENT_RETENTION_DAYS: positiveInt(7),
  /**
   * How often an instance records how far it has received the event log while its LISTEN
   * connection is up; after a reconnect it reads what committed after that point and was missed.
   */
  EVENT_SAFE_POINT_MS: positiveInt(2000),
  /** How often each instance looks for due webhook retries and new endpoints (changes wake it at once). */
  WEBHOOK_POLL_MS: positiveInt(1000),
  /** A webhook delivery not accepted within this many hours of its event is given up. */
  WEBHOOK_RETRY_HOURS: positiveInt(72),
  /** Webhook URLs to loopback and private addresses are refused unless this is true (local receivers, tests). */
  WEBHOOK_ALLOW_PRIVATE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** A webhook request without an answer within this is a failed attempt. */
  WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
  /** Webhook requests in flight at once per instance, and to one endpoint. */
  WEBHOOK_CONCURRENCY: positiveInt(64),
  WEBHOOK_CONCURRENCY_PER_ENDPOINT: positiveInt(16),
  /**
   * The key that seals webhook secrets in the database: 32 bytes, base64 or hex
   * (`openssl rand -base64 32`), the same on every instance. Unset, a key kept in the database
   * is used (development only: a copy of the database could then sign webhooks).
   */
  WEBHOOK_SECRETS_KEY: z.string().optional().transform((v, ctx) => {
    if (v === undefined) return null;
    const key = parseSecretsKey(v);
    if (!key) ctx.addIssue({ code: 'custom', message: 'must be 32 bytes as base64 or hex (openssl rand -base64 32)' });
    return key ?? z.NEVER;
  }),
  /** The sample job: each queue's figures once a minute, for the console's charts over time. */
  QUEUE_SAMPLE_CRON: cronExpression.default('* * * * *'),
  /** Samples older than this are deleted by the sample job. */
  QUEUE_SAMPLE_RETENTION_DAYS: positiveInt(7),
  /** Where `npm start` keeps the embedded cluster when DATABASE_URL is unset. */
  EMBEDDED_PG_DIR: z.string().default('.data/pg'),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  DB_POOL_SIZE: positiveInt(10),
  MAX_PAGE_SIZE: positiveInt(500),
  MAX_QUERY_DEPTH: positiveInt(10),
  /** Requests (HTTP requests and subscriptions started) per API key and minute, per instance; 0: no limit. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(6000),
  /** Requests a key may make at once above its steady rate. */
  RATE_LIMIT_BURST: positiveInt(200),
  /** Open WebSocket connections per API key, per instance. */
  MAX_WS_CONNECTIONS_PER_KEY: positiveInt(20),
  /** Subscriptions running at once on one WebSocket connection. */
  MAX_SUBSCRIPTIONS_PER_CONNECTION: positiveInt(50),
  /** A document costing more (see the cost model in the README) is refused before it runs. */
  MAX_QUERY_COST: positiveInt(30_000),
  /** Aliased fields one document may use. */
  MAX_ALIASES: positiveInt(30),
  /** Tokens one document may have (the parser stops past it). */
  MAX_QUERY_TOKENS: positiveInt(5_000),
  MAX_BODY_BYTES: positiveInt(1_000_000),
  INTROSPECTION: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** How long a looked-up API key is trusted before it is read again (revocation delay). */
  API_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).default(10),
  SHUTDOWN_GRACE_MS: positiveInt(10_000),
  /** Events one subscription may hold for a client not reading them; past it the client is dropped. */
  SUBSCRIPTION_BUFFER: positiveInt(1000),
  /** How often an instance re-reads the legacy-migration phase (another instance's change is seen within this). */
  MIGRATION_PHASE_POLL_MS: positiveInt(1000),
  /** queueStats subscribers get a snapshot at most this often. */
  /** queueStats subscribers get a snapshot at most this often: a screen read by people needs no more than one a second. */
  QUEUE_STATS_INTERVAL_MS: positiveInt(1000),
  /** WebSocket ping interval; a client that does not answer within it is disconnected (0: off). */
  WS_KEEPALIVE_MS: z.coerce.number().int().min(0).default(12_000),
  /** Claimants are called between these local times (HH:MM, the claimant's time zone). */
  CALLING_WINDOW_START: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM').default('08:00'),
  CALLING_WINDOW_END: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM').default('21:00'),
  DAILY_ATTEMPT_CAP: positiveInt(3),
  MAX_ASSIGNED_PER_AGENT: positiveInt(1),
  /** A callback with a preferred agent goes only to that agent until this long after it is due. */
  PREFERRED_AGENT_GRACE_MINUTES: z.coerce.number().int().min(0).default(15),
  /** How many entries one claim may check (drop or defer) before it gives up and returns null. */
  CLAIM_MAX_CHECKS: positiveInt(20),
  /** Minutes before a claimant is called again, per outcome: "no_answer=120,busy=30,…". */
  OUTCOME_COOLDOWNS: z.string().default('').transform((text, ctx) => {
    const cooldowns: Record<string, number> = { ...DEFAULT_COOLDOWNS };
    for (const pair of text.split(',').map((p) => p.trim()).filter(Boolean)) {
      const [outcome, minutes] = pair.split('=');
      if (!outcome || !(outcome in DEFAULT_COOLDOWNS) || !/^\d+$/.test(minutes ?? '')) {
        ctx.addIssue({ code: 'custom', message: `"${pair}" is not outcome=minutes with an outcome among ${Object.keys(DEFAULT_COOLDOWNS).join(', ')}` });
        return z.NEVER;
      }
      cooldowns[outcome] = Number(minutes);
    }
    return cooldowns;
  }),
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {}

/** Parses an environment-like record; the message lists every bad variable and what it allows. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "not set", except the *_CRON ones where empty switches the job off.
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => value !== '' || key.endsWith('_CRON')),
  );
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
