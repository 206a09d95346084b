import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { toDate } from '../../db/sql.js';

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function parseDateTime(value: unknown): Date {
  const date = typeof value === 'string' && ISO_8601.test(value) ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) {
    throw new GraphQLError(
      `DateTime must be an ISO-8601 string with a time zone, for example 2026-11-23T18:30:00Z; got ${JSON.stringify(value)?.slice(0, 60)}`,
      { extensions: { code: 'BAD_USER_INPUT' } },
    );
  }
  return date;
}

export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize: (value) => {
    const date = toDate(value as Date | string);
    if (!date || Number.isNaN(date.getTime())) throw new TypeError(`not a date-time: ${String(value)}`);
    return date.toISOString();
  },
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});
