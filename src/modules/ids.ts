import { badInput } from './errors.js';

const POSITIVE_INTEGER = /^[1-9][0-9]{0,15}$/;

/**
 * Ids arrive as GraphQL `ID` strings; every id in this service is a positive integer. A
 * malformed id is the caller's mistake (BAD_USER_INPUT), not an unknown row (NOT_FOUND).
 */
export function parseId(value: string | number, what: string): number {
  const text = String(value).trim();
  const id = POSITIVE_INTEGER.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(id)) {
    throw badInput(`${what} must be a positive integer id, got "${String(value).slice(0, 40)}"`);
  }
  return id;
}

export const parseUserId = (value: string | number) => parseId(value, 'userId');
