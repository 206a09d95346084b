import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../db/sql.js';
import { writeThenNotify } from '../events/held-events.sql.js';
import { entryFromImage, type QueueEntryRecord } from '../queue/queue-entry.js';

/*
 * recordOutcome: the database's callqueue_record_outcome (migrations 0019, 0021) — the entry's
 * lock and refusals, the attempt, the session, the callback, the release, completion or
 * conversion and its events — in one statement, its notifications sent after its commit; the
 * entry as it is after, and the conversion's id.
 */
export async function recordOutcome(
  em: EntityManager, entryId: number, agentId: number | null, outcome: string, doNotCall: boolean, actor: string,
  rules: { cooldownMinutes: number; dailyCap: number; windowStart: number },
): Promise<{ entry: QueueEntryRecord; conversionId: number | null }> {
  const entry = await writeThenNotify<Record<string, unknown>>(em, sql`/* recordOutcome */
    callqueue_record_outcome(${entryId}, ${agentId}::bigint, ${outcome}, ${doNotCall}, ${actor},
      ${rules.cooldownMinutes}, ${rules.dailyCap}, ${rules.windowStart})`);
  const conversionId = entry.conversion_id;
  return { entry: entryFromImage(entry), conversionId: conversionId == null ? null : Number(conversionId) };
}
