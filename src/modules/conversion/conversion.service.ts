import type { EntityManager } from '@mikro-orm/postgresql';
import { keysetPage, type Edge, type Page } from '../pagination.js';
import type { Conversion } from './conversion.entity.js';
import { listConversions as listConversionRows, toConversion, type ConversionFilter, type ConversionRow } from './conversion.sql.js';

export type ConversionPage = Page<Conversion>;
export type ConversionEdge = Edge<Conversion>;
export type { ConversionFilter };
export { conversionStats, type ConversionStats } from './conversion.sql.js';

/** Conversions matching the filter, newest first. */
export async function listConversions(
  em: EntityManager, filter: ConversionFilter, first: number | null | undefined, after: string | null | undefined, maxPageSize: number,
): Promise<ConversionPage> {
  return keysetPage<ConversionRow, Conversion>({ first, after, maxPageSize }, 'converted_at',
    (cursor, limit) => listConversionRows(em, filter, cursor, limit), toConversion);
}
