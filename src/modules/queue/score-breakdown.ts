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

/** scoreBreakdown: the policy's score for one claimant now, part by part, for the queue it is (or belongs) in. */
export async function scoreBreakdown(em: EntityManager, store: QueueStore, userId: number): Promise<ScoreBreakdown | null> {
  const facts = await loadFacts(em, userId, false);
  if (!facts) return null;
  const live = await liveEntry(em, store, userId, false);
  const queueType: QueueType = live?.queueType ?? facts.score?.currentQueueType
    ?? (facts.claimant.signatureStatus === 'missing' ? 'unsigned_users' : 'outstanding_requests');
  const now = new Date();
  const components = scoreComponents({
    queueType,
    waitingSince: waitingSince(facts, live?.enqueuedAt ?? null),
    totalAttempts: facts.score?.totalAttempts ?? 0,
    urgentSignature: isSignatureUrgent(facts.claimant.signatureMissingSince, now),
    escalationLevel: escalationFor(facts.requirements.nextDeadline, now),
    documentDeadline: facts.requirements.nextDeadline,
  }, now);
  return {
    userId, queueType, components, total: clampScore(components.reduce((sum, c) => sum + c.points, 0)),
    storedScore: facts.score?.currentScore ?? null, computedAt: now,
  };
}
