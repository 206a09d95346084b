import type { EntityManager } from '@mikro-orm/postgresql';
import { notFound } from '../errors.js';
import { loadFacts } from '../facts.sql.js';
import type { QueueSettings } from '../operation.js';
import type { QueueStore, QueueType } from '../queue-type.js';
import { liveEntryFacts, stuckWork, type EntryFacts, type StuckWork } from './diagnostics.sql.js';
import { checkEligibility } from './eligibility.js';
import type { QueueEntryRecord } from './queue-entry.js';

/**
 * Why an entry is (or is not) handed out: the claim's own rule, in the claim's own order — the
 * candidate filter of its SQL (assigned, on a call, not yet available, a callback reserved for
 * another agent) and then checkEligibility on the same facts (the claim's SQL fragment).
 */
export type EligibilityVerdict = 'ASSIGN' | 'DEFER' | 'REMOVE' | 'NOT_QUEUED';

export interface Judgement {
  verdict: EligibilityVerdict;
  /** The claim's word for it, without a time ('cooldown', 'on a call', …); null for ASSIGN. */
  reason: string | null;
  availableAt: Date | null;
}

export function judge(f: EntryFacts, now: Date, settings: QueueSettings): Judgement {
  const e = f.entry;
  if (e.status === 'assigned') return { verdict: 'DEFER', reason: `assigned to agent ${e.assignedToAgentId}`, availableAt: f.lease?.expiresAt ?? null };
  if (f.onCall) return { verdict: 'DEFER', reason: 'on a call', availableAt: null };
  if (e.availableFrom > now) return { verdict: 'DEFER', reason: 'deferred', availableAt: e.availableFrom };
  if (f.reservedFor && f.reservedFor.until > now) {
    return { verdict: 'DEFER', reason: `callback reserved for agent ${f.reservedFor.agentId}`, availableAt: f.reservedFor.until };
  }
  const v = checkEligibility({ ...f, queueType: e.queueType }, now, { window: settings.window, dailyAttemptCap: settings.dailyAttemptCap });
  if (v.kind === 'assign') return { verdict: 'ASSIGN', reason: null, availableAt: null };
  if (v.kind === 'remove') return { verdict: 'REMOVE', reason: v.reason, availableAt: null };
  return { verdict: 'DEFER', reason: v.reason, availableAt: v.until };
}

export interface EligibilityReport {
  userId: number;
  verdict: EligibilityVerdict;
  reasons: string[];
  availableAt: Date | null;
  entry: QueueEntryRecord | null;
}

/** eligibility(userId): what a claim would do with the claimant's entry now, and why. */
export async function eligibility(em: EntityManager, store: QueueStore, settings: QueueSettings, userId: number): Promise<EligibilityReport> {
  const [live] = await liveEntryFacts(em, store, settings.preferredAgentGraceMinutes, { userId });
  if (live) {
    const j = judge(live, new Date(), settings);
    const reason = j.reason === null ? [] : [j.availableAt ? `${j.reason} until ${j.availableAt.toISOString()}` : j.reason];
    return { userId, verdict: j.verdict, reasons: reason, availableAt: j.availableAt, entry: live.entry };
  }
  const facts = await loadFacts(em, userId, false);
  if (!facts) throw notFound(`claimant ${userId} does not exist`);
  const reasons = [
    facts.score?.isActive === false || !facts.score ? 'score inactive' : null,
    facts.claimant.doNotCall ? 'do not call' : null,
    facts.claimant.convertedAt ? 'already converted' : null,
    facts.claimant.signatureStatus === 'obtained' && facts.requirements.pending === 0 ? 'signature obtained and no requirement pending' : null,
  ].filter((r): r is string => r !== null);
  return { userId, verdict: 'NOT_QUEUED', reasons: reasons.length ? reasons : ['not in a queue: a repopulation, enqueueUser or a callback puts it back'], availableAt: null, entry: null };
}

export interface QueueDiagnostics {
  queueType: QueueType;
  pending: number;
  claimableNow: number;
  nextClaimableAt: Date | null;
  notClaimable: { reason: string; count: number; nextAvailableAt: Date | null }[];
  assigned: number;
  leases: { running: number; lapsed: number; withoutLease: number };
  stuck: StuckWork;
  pendingButNoneClaimable: boolean;
}

/** queueDiagnostics: the pending entries of a queue counted by why they are not claimable now. */
export async function queueDiagnostics(
  em: EntityManager, store: QueueStore, settings: QueueSettings, queueType: QueueType, callbackGraceMinutes: number,
): Promise<QueueDiagnostics> {
  const now = new Date();
  const rows = await liveEntryFacts(em, store, settings.preferredAgentGraceMinutes, { queueType });
  const reasons = new Map<string, { count: number; nextAvailableAt: Date | null }>();
  let pending = 0;
  let claimable = 0;
  const leases = { running: 0, lapsed: 0, withoutLease: 0 };
  for (const row of rows) {
    if (row.entry.status === 'assigned') {
      if (!row.lease) leases.withoutLease += 1;
      else if (row.lease.expiresAt <= now) leases.lapsed += 1;
      else leases.running += 1;
      continue;
    }
    pending += 1;
    const j = judge(row, now, settings);
    if (j.verdict === 'ASSIGN') {
      claimable += 1;
      continue;
    }
    const word = j.verdict === 'REMOVE' ? `${j.reason} (removed by the next claim that meets it)` : j.reason!;
    const slot = reasons.get(word) ?? { count: 0, nextAvailableAt: null };
    slot.count += 1;
    if (j.availableAt && (!slot.nextAvailableAt || j.availableAt < slot.nextAvailableAt)) slot.nextAvailableAt = j.availableAt;
    reasons.set(word, slot);
  }
  const notClaimable = [...reasons].map(([reason, r]) => ({ reason, ...r })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  const next = notClaimable.map((r) => r.nextAvailableAt).filter((d): d is Date => d !== null).sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
  return {
    queueType, pending, claimableNow: claimable, nextClaimableAt: claimable > 0 ? now : next, notClaimable,
    assigned: leases.running + leases.lapsed + leases.withoutLease, leases,
    stuck: await stuckWork(em, settings.lines.maxCallSeconds, callbackGraceMinutes),
    pendingButNoneClaimable: pending > 0 && claimable === 0,
  };
}
