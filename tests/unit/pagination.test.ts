import { DomainError } from '../../src/modules/errors.js';
import { checkPageSize, decodeCursor, encodeCursor, toPage } from '../../src/modules/pagination.js';
import { sql, raw, toDate } from '../../src/db/sql.js';

it('round-trips cursors and refuses ones of another shape', () => {
  const cursor = encodeCursor([500, '2026-11-23 18:30:00.123456+00', 42]);
  expect(decodeCursor(cursor, ['number', 'string', 'number'])).toEqual([500, '2026-11-23 18:30:00.123456+00', 42]);
  expect(() => decodeCursor(cursor, ['string', 'number'])).toThrow(DomainError);
  expect(() => decodeCursor('%%%', ['number'])).toThrow(/not a cursor/);
});

it('checks page sizes', () => {
  expect(checkPageSize(undefined)).toBe(50);
  expect(checkPageSize(500)).toBe(500);
  expect(() => checkPageSize(501)).toThrow(/between 1 and 500/);
  expect(() => checkPageSize(0)).toThrow(DomainError);
});

it('builds a page from size + 1 rows', () => {
  const page = toPage([1, 2, 3], 2, (n) => [n]);
  expect(page.nodes).toEqual([1, 2]);
  expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor([2]) });
  expect(toPage([], 2, (n: number) => [n]).pageInfo).toEqual({ hasNextPage: false, endCursor: null });
});

it('binds values, splices fragments and sends arrays as Postgres array literals', () => {
  const inner = sql`b = ${2}`;
  const { text, params } = sql`SELECT * FROM ${raw('t')} WHERE a = ${1} AND ${inner} AND c = ANY(${['x', 'y"z']}::text[])`.toKnex();
  expect(text).toBe('SELECT * FROM t WHERE a = ? AND b = ? AND c = ANY(?::text[])');
  expect(params).toEqual([1, 2, '{"x","y\\"z"}']);
});

describe('toDate reads Postgres timestamps exactly', () => {
  it.each([
    ['2026-11-23 18:30:00.123456+00', '2026-11-23T18:30:00.123Z'],
    ['2026-11-23 18:30:00+00', '2026-11-23T18:30:00.000Z'],
    ['2026-11-23 18:30:00.5+05:30', '2026-11-23T13:00:00.500Z'],
    ['2026-01-01 00:00:00.999999-08', '2026-01-01T08:00:00.999Z'],
    ['1999-12-31 23:59:59.1+00', '1999-12-31T23:59:59.100Z'],
  ])('%s', (text, iso) => {
    expect(toDate(text)!.toISOString()).toBe(iso);
  });

  it('falls back to the general parser and passes Dates and nulls through', () => {
    expect(toDate('2026-11-23T18:30:00Z')!.toISOString()).toBe('2026-11-23T18:30:00.000Z');
    const d = new Date();
    expect(toDate(d)).toBe(d);
    expect(toDate(null)).toBeNull();
  });
});
