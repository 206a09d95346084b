import { pino, type Logger } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line, wherever they appear. */
const REDACT = ['authorization', 'headers.authorization', 'req.headers.authorization', 'key', 'apiKey', 'password', 'databaseUrl'];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'callqueue' } });
}
