import type { EntityManager } from '@mikro-orm/postgresql';
import { waitingSince } from '../facts.js';
import { loadFacts } from '../facts.sql.js';
import type { QueueStore, QueueType } from '../queue-type.js';
import { clampScore, escalationFor, isSignatureUrgent, scoreComponents, type ScoreComponent } from '../score/score-policy.js';
import { liveEntry } from './queue.sql.js';

export interface ScoreBreakdown {
  userId: number;
  queueType: QueueType | null;
  components: ScoreComponent[];
  total: number;
  storedScore: number | null;
  computedAt: Date;
}

/**
 * scoreBreakdown: the policy's score for one claimant, part by part, for the queue it is (or
 * belongs) in — the score that orders its entry. A live entry is explained as of the instant
 * its priority was last computed (`computedAt`, the score row's last_queue_check: at most one
 * priority refresh ago), so `total` is its `priorityScore`; a callback entry's top priority and
 * a priority fixed by enqueueUser are a component of their own. Without a live entry: now.
 */
export async function scoreBreakdown(em: EntityManager, store: QueueStore, userId: number): Promise<ScoreBreakdown | null> {
  const facts = await loadFacts(em, userId, false);
  if (!facts) return null;
  const live = await liveEntry(em, store, userId, false);
  const queueType: QueueType = live?.queueType ?? facts.score?.currentQueueType
    ?? (facts.claimant.signatureStatus === 'missing' ? 'unsigned_users' : 'outstanding_requests');
  const at = (live && facts.score?.scoredAt) || new Date();
  // The deadline that orders a live outstanding entry is the one it carries (kept by every fact write).
  const deadline = live?.queueType === 'outstanding_requests' ? live.documentDeadline : facts.requirements.nextDeadline;
  const components = scoreComponents({
    queueType,
    waitingSince: waitingSince(facts, live?.enqueuedAt ?? null),
    totalAttempts: facts.score?.totalAttempts ?? 0,
    urgentSignature: isSignatureUrgent(facts.claimant.signatureMissingSince, at),
    escalationLevel: escalationFor(deadline, at),
    documentDeadline: deadline,
  }, at);
  const policy = clampScore(components.reduce((sum, c) => sum + c.points, 0));
  const pinned = live?.callbackId != null
    ? { name: 'callback' as const, score: live.priorityScore,
        detail: `callback ${live.callbackId} at ${live.callbackScheduledFor?.toISOString()}: top priority until it is made` }
    : live && facts.score?.priorityOverride != null
      ? { name: 'fixed' as const, score: facts.score.priorityOverride, detail: 'priority fixed by enqueueUser(priorityScore) until the next re-scoring' }
      : null;
  if (pinned) components.push({ name: pinned.name, points: pinned.score - policy, detail: pinned.detail });
  return {
    userId, queueType, components, total: pinned ? pinned.score : policy,
    storedScore: facts.score?.currentScore ?? null, computedAt: at,
  };
}
