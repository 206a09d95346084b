import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Keys whose values never reach a log line, wherever they appear: secrets, and claimants'
 * personal data — names and phone in any object, GraphQL variables, and what database errors
 * carry of the row or statement (PostgreSQL's `detail` quotes the failing row; MikroORM's
 * `query` has its parameters inlined).
 */
const SECRETS = ['authorization', 'headers.authorization', 'req.headers.authorization', 'key', 'apiKey', 'password', 'databaseUrl', 'secret'];
const PERSONAL = ['firstName', 'lastName', 'phone', 'first_name', 'last_name', 'variables', 'input'];
const ERROR_DATA = ['detail', 'query', 'sql', 'parameters', 'params', 'where'];
export const REDACTED_PATHS = [
  ...SECRETS,
  ...PERSONAL, ...PERSONAL.map((k) => `*.${k}`),
  ...['err', 'err.cause', 'err.originalError', 'error'].flatMap((at) => ERROR_DATA.map((k) => `${at}.${k}`)),
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'callqueue' } };
  return destination ? pino(options, destination) : pino(options);
}
