import { toDate } from './sql.js';

/**
 * Raw rows → the entity shapes, without the ORM's unit of work. For read paths that load
 * hundreds of rows per request (dashboards): hydrating managed entities costs more there than
 * the SQL itself (measured: ~10 ms per 200 rows). Column names map snake_case → camelCase;
 * the named timestamp columns become Dates (Postgres sends them as text through MikroORM).
 */
/** The row stamps most tables carry. */
export const STAMPS = ['created_at', 'updated_at'];

const camelCache = new Map<string, string>();

function camel(column: string): string {
  let name = camelCache.get(column);
  if (name === undefined) {
    name = column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    camelCache.set(column, name);
  }
  return name;
}

export function rowMapper<T>(timestampColumns: readonly string[]): (row: Record<string, unknown>) => T {
  const timestamps = new Set(timestampColumns);
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const column in row) {
      const value = row[column];
      out[camel(column)] = timestamps.has(column) ? toDate(value as string | null) : value;
    }
    return out as T;
  };
}
