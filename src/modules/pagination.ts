import { badInput } from './errors.js';

/** A page of a Relay connection as services return it. */
export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Page<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export const MAX_PAGE_SIZE = 500;

export function checkPageSize(first: number | null | undefined, fallback = 50, max = MAX_PAGE_SIZE): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw badInput(`first must be between 1 and ${max}, got ${String(first)}`);
  }
  return size;
}

/** Cursors are opaque to clients: base64url of the JSON key of the last row seen. */
export function encodeCursor(key: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, shape: readonly ('number' | 'string')[]): unknown[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const valid = Array.isArray(key) && key.length === shape.length &&
    key.every((v, i) => typeof v === shape[i]);
  if (!valid) throw badInput('after is not a cursor returned by this connection');
  return key as unknown[];
}

/** Builds a page from up to `size + 1` rows fetched in order (the extra row says "more"). */
export function toPage<T>(rows: T[], size: number, keyOf: (row: T) => readonly unknown[]): Page<T> {
  const nodes = rows.slice(0, size);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  return {
    edges,
    nodes,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
  };
}

/** Where a keyset page starts: after the row with this sort time (as Postgres wrote it) and id; nulls for the first page. */
export interface KeysetCursor {
  at: string | null;
  id: number | null;
}

/**
 * A page of a list ordered by (a timestamp column, id): validates `first` and `after`, fetches
 * one row more than the page, maps the rows and makes the cursors from the timestamp exactly
 * as Postgres wrote it (microseconds), so the next page starts where this one ended.
 */
export async function keysetPage<R extends { id: number }, T>(
  request: { first: number | null | undefined; after: string | null | undefined; maxPageSize: number },
  keyColumn: keyof R & string,
  fetch: (cursor: KeysetCursor, limit: number) => Promise<R[]>,
  map: (row: R) => T,
): Promise<Page<T>> {
  const size = checkPageSize(request.first, 50, request.maxPageSize);
  const decoded = request.after ? decodeCursor(request.after, ['string', 'number']) : null;
  const rows = await fetch({ at: (decoded?.[0] as string) ?? null, id: (decoded?.[1] as number) ?? null }, size + 1);
  const keyed = rows.map((row) => ({ key: [row[keyColumn], row.id] as const, node: map(row) }));
  const page = toPage(keyed, size, (k) => k.key);
  return { ...page, nodes: page.nodes.map((k) => k.node), edges: page.edges.map((e) => ({ cursor: e.cursor, node: e.node.node })) };
}
