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
