import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from '../logger.js';
import { DomainError } from '../modules/errors.js';

/** Codes a client may see besides the domain's own (protocol errors from Apollo/graphql-js). */
const PROTOCOL_CODES = new Set([
  'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE',
  'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'RATE_LIMITED',
]);

/** Figures a protocol error may carry to the client (the cost check's), besides its code. */
const PUBLIC_EXTENSIONS = ['cost', 'maxCost', 'aliases', 'maxAliases'];

/** Postgres's own message: the driver puts the statement's text before it, and " - ". */
const databaseMessage = (message: string | undefined) => message?.slice(message.lastIndexOf(' - ') + 3);

/** The SQLSTATEs the database's functions raise: CQ and the HTTP status the refusal stands for. */
const RAISED_CODES: Readonly<Record<string, 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT'>> = { CQ403: 'FORBIDDEN', CQ404: 'NOT_FOUND', CQ409: 'CONFLICT' };

/** Postgres errors a raw statement can raise on bad input, as domain errors. */
function fromPostgres(error: unknown): DomainError | null {
  const original = error as { code?: string; constraint?: string; message?: string; detail?: string };
  if (typeof original?.code !== 'string') return null;
  const pg = { ...original, code: original.code, message: databaseMessage(original.message) };
  // Raised by the database's own functions (callqueue_claim …): the message is the refusal, the
  // detail (JSON) what the API adds to it.
  const raised = RAISED_CODES[pg.code];
  if (raised) return new DomainError(raised, pg.message ?? raised, original.detail ? JSON.parse(original.detail) : {});
  if (pg.constraint === 'one_live_entry_per_claimant') return new DomainError('CONFLICT', pg.message ?? 'claimant already queued');
  if (pg.constraint === 'claimant_erased') return new DomainError('CONFLICT', pg.message ?? 'the claimant was erased');
  if (pg.constraint === 'call_lines_limit') return new DomainError('CONFLICT', pg.message ?? 'all lines are busy');
  if (pg.constraint?.endsWith('_live_user_idx')) return new DomainError('CONFLICT', 'the claimant already has a live entry in this queue');
  if (pg.code === '23505') return new DomainError('CONFLICT', `this would duplicate a unique value (${pg.constraint ?? 'unique constraint'})`);
  if (pg.code === '23503') return new DomainError('NOT_FOUND', `a referenced row does not exist (${pg.constraint ?? 'foreign key'})`);
  if (pg.code === '23514') return new DomainError('BAD_USER_INPUT', `a value is out of its allowed range (${pg.constraint ?? 'check constraint'})`);
  return null;
}

/**
 * Apollo's formatError: domain errors keep their code and message; everything unexpected is
 * logged with the request id and reaches the client as "Unexpected error" (no SQL, no stack).
 */
export function createFormatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const domain = original instanceof DomainError ? original : fromPostgres(original);
    if (domain) {
      return {
        message: domain.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: domain.code, ...domain.details },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PROTOCOL_CODES.has(code) && original instanceof GraphQLError) {
      const figures = Object.fromEntries(PUBLIC_EXTENSIONS.filter((k) => formatted.extensions?.[k] !== undefined).map((k) => [k, formatted.extensions![k]]));
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code, ...figures } };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error in a GraphQL operation');
    return {
      message: 'Unexpected error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
