import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Agent } from '../modules/agent/agent.entity.js';
import { loadAgentWorkloads, type AgentWorkload } from '../modules/agent/agent.service.js';
import type { Callback } from '../modules/callback/callback.entity.js';
import type { Claimant, ClaimRequirement } from '../modules/claimant/claimant.entity.js';
import type { Conversion } from '../modules/conversion/conversion.entity.js';
import type { Campaign, CallSession } from '../modules/call/call.entity.js';
import { campaignsByIds, lineFigures, requestsByIds, sessionsByIds, toSession, type LineFigures, type PlacedRequest } from '../modules/call/lines.sql.js';
import { toTransition } from '../modules/queue/transitions.js';
import { leasesByEntries, type Lease } from '../modules/queue/leases.sql.js';
import { toEntryRecord, type QueueEntryPage, type QueueEntryRecord } from '../modules/queue/queue-entry.js';
import { loadEntryPages, loadQueueCounts, loadQueueStats, type QueueCounts, type QueueReads, type QueueStats } from '../modules/queue/queue.service.js';
import { assignedEntriesByAgents, entriesByIds, liveEntriesByUsers, type EntryPageRequest } from '../modules/queue/queue.sql.js';
import type { QueueType } from '../modules/queue-type.js';
import { agentsByIds } from '../modules/agent/agent.sql.js';
import { callbacksByIds, toCallback } from '../modules/callback/callback.sql.js';
import { claimantsByIds, requirementsByUserIds } from '../modules/claimant/claimant.sql.js';
import { conversionsByIds, conversionsByUsers } from '../modules/conversion/conversion.sql.js';
import { latestPerClaimant, type ClaimantHistory } from '../modules/history.sql.js';
import { scoresByUserIds } from '../modules/score/score.sql.js';
import type { UserCallScore } from '../modules/score/score.entity.js';
import { webhookStats, type WebhookStats } from '../modules/webhooks/webhooks.sql.js';

/**
 * Batching of the relations a dashboard walks (agent, score, claimant, callback, …): each
 * loader turns every load of one tick into one statement. New loaders per request, so nothing
 * is cached across callers.
 */
function byKey<K, V>(rows: V[], keyOf: (row: V) => K, keys: readonly K[]): (V | null)[] {
  const map = new Map(rows.map((r) => [keyOf(r), r]));
  return keys.map((k) => map.get(k) ?? null);
}

function groupBy<K, V>(rows: V[], keyOf: (row: V) => K, keys: readonly K[]): V[][] {
  const map = new Map<K, V[]>(keys.map((k) => [k, []]));
  for (const row of rows) map.get(keyOf(row))?.push(row);
  return keys.map((k) => map.get(k) ?? []);
}

/** A claimant's newest `first` rows of one history. */
export interface HistoryRequest { userId: number; first: number }

/**
 * One history for a batch of claimants in one statement: the largest `first` asked for is
 * read per claimant, and each request gets its own slice of it.
 */
function historyLoader<T>(em: EntityManager, history: ClaimantHistory, map: (row: Record<string, unknown>) => T & { userId: number }) {
  return new DataLoader<HistoryRequest, T[], string>(async (requests) => {
    const userIds = [...new Set(requests.map((r) => r.userId))];
    const rows = (await latestPerClaimant(em, history, userIds, Math.max(...requests.map((r) => r.first)))).map(map);
    const grouped = groupBy(rows, (r) => r.userId, userIds);
    return requests.map((r) => grouped[userIds.indexOf(r.userId)]!.slice(0, r.first));
  }, { cacheKeyFn: (r) => `${r.userId}:${r.first}` });
}

export function createLoaders(em: EntityManager, reads: QueueReads) {
  const loaders = {
    agent: new DataLoader<number, Agent | null>(async (ids) =>
      byKey(await agentsByIds(em, ids), (a) => a.id, ids)),
    claimant: new DataLoader<number, Claimant | null>(async (ids) =>
      byKey(await claimantsByIds(em, ids), (c) => c.userId, ids)),
    score: new DataLoader<number, UserCallScore | null>(async (ids) =>
      byKey(await scoresByUserIds(em, ids), (s) => s.userId, ids)),
    callback: new DataLoader<number, Callback | null>(async (ids) =>
      byKey(await callbacksByIds(em, ids), (c) => c.id, ids)),
    conversion: new DataLoader<number, Conversion | null>(async (ids) =>
      byKey(await conversionsByIds(em, ids), (c) => c.id, ids)),
    leaseByEntry: new DataLoader<number, Lease | null>(async (ids) =>
      byKey(await leasesByEntries(em, ids), (l) => l.entryId, ids)),
    conversionByUser: new DataLoader<number, Conversion | null>(async (userIds) =>
      byKey(await conversionsByUsers(em, userIds), (c) => c.userId, userIds)),
    transitionsByUser: historyLoader(em, 'transitions', toTransition),
    callSessionsByUser: historyLoader(em, 'callSessions', toSession),
    callbacksByUser: historyLoader(em, 'callbacks', toCallback),
    callSession: new DataLoader<number, CallSession | null>(async (ids) =>
      byKey(await sessionsByIds(em, ids), (c) => c.id, ids)),
    // A dispatched request's session comes with it: its subscribers' `session` costs no statement.
    callRequest: new DataLoader<number, PlacedRequest | null>(async (ids) => {
      const requests = await requestsByIds(em, ids);
      for (const { session } of requests) if (session) loaders.callSession.prime(session.id, session);
      return byKey(requests, (c) => c.id, ids);
    }),
    /** One read of the lines per request, however many requests estimate their wait. */
    lineFigures: new DataLoader<'now', LineFigures>(async (keys) => {
      const figures = await lineFigures(em);
      return keys.map(() => figures);
    }),
    campaign: new DataLoader<number, Campaign | null>(async (ids) =>
      byKey(await campaignsByIds(em, ids), (c) => c.id, ids)),
    requirements: new DataLoader<number, ClaimRequirement[]>(async (userIds) =>
      groupBy(await requirementsByUserIds(em, userIds), (r) => r.userId, userIds)),
    entry: new DataLoader<number, QueueEntryRecord | null>(async (ids) =>
      byKey((await reads.read(em, (store) => entriesByIds(em, store, ids))).map(toEntryRecord), (e) => e.id, ids)),
    liveEntryByUser: new DataLoader<number, QueueEntryRecord | null>(async (userIds) =>
      byKey((await reads.read(em, (store) => liveEntriesByUsers(em, store, userIds))).map(toEntryRecord), (e) => e.userId, userIds)),
    assignedEntryByAgent: new DataLoader<number, QueueEntryRecord | null>(async (agentIds) =>
      byKey((await reads.read(em, (store) => assignedEntriesByAgents(em, store, agentIds))).map(toEntryRecord), (e) => e.assignedToAgentId!, agentIds)),
    workload: new DataLoader<number, AgentWorkload>(async (agentIds) => {
      const map = await loadAgentWorkloads(em, agentIds);
      return agentIds.map((id) => map.get(id)!);
    }),
    /** Depth and assigned count (maintained counts); the figures that need a scan come from queueStats. */
    queueCounts: new DataLoader<QueueType, QueueCounts>(async (types) => {
      const map = await loadQueueCounts(em, reads, types);
      return types.map((t) => map.get(t)!);
    }),
    queueStats: new DataLoader<QueueType, QueueStats>(async (types) => {
      const map = await loadQueueStats(em, reads, types);
      return types.map((t) => map.get(t)!);
    }),
    /** Pending deliveries and the last attempt of each webhook listed. */
    webhookStats: new DataLoader<number, WebhookStats>(async (ids) =>
      byKey(await webhookStats(em, ids), (w) => w.webhookId, ids).map((w) => w!)),
    entryPage: new DataLoader<EntryPageRequest & { size: number }, QueueEntryPage, string>(
      async (requests) => loadEntryPages(em, reads, requests),
      { cacheKeyFn: (r) => JSON.stringify(r) },
    ),
  };
  return loaders;
}

export type Loaders = ReturnType<typeof createLoaders>;
