import { z } from 'zod';

/**
 * Every setting the service reads, parsed from the environment in one place. Nothing else in
 * the code reads `process.env`; tests build a Config with `loadConfig({...})`.
 */
const cronExpression = z.string().trim();
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const schema = z.object({
  DATABASE_URL: z.string().url().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  ADMIN_API_KEY: z.string().min(16, 'ADMIN_API_KEY must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAX_CONCURRENT_CALLS: positiveInt(10),
  REPOPULATE_CRON: cronExpression.default('0 * * * *'),
  REPOPULATE_TIMEZONE: z.string().default('UTC'),
  QUEUE_TOP_N: positiveInt(1000),
  /** Where `npm start` keeps the embedded cluster when DATABASE_URL is unset. */
  EMBEDDED_PG_DIR: z.string().default('.data/pg'),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  DB_POOL_SIZE: positiveInt(10),
  MAX_PAGE_SIZE: positiveInt(500),
  MAX_QUERY_DEPTH: positiveInt(10),
  MAX_BODY_BYTES: positiveInt(1_000_000),
  INTROSPECTION: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** How long a looked-up API key is trusted before it is read again (revocation delay). */
  API_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).default(10),
  SHUTDOWN_GRACE_MS: positiveInt(10_000),
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {}

/** Parses an environment-like record; the message lists every bad variable and what it allows. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "not set", except REPOPULATE_CRON where empty switches the job off.
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => value !== '' || key === 'REPOPULATE_CRON'),
  );
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
