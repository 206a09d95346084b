import { requireActiveAgent } from '../agent/agent.service.js';
import { badInput, conflict, forbidden, notFound, requireReason } from '../errors.js';
import { refuseConverted, type ClaimantFacts } from '../facts.js';
import { lockedFacts } from '../facts.sql.js';
import { phaseTransaction, type Operation, type QueueSettings } from '../operation.js';
import { contactFactsOf, contactVerdict } from '../queue/contact-policy.js';
import { liveEntry } from '../queue/queue.sql.js';
import type { Campaign, CallRequest, CallSession, CallType } from './call.entity.js';
import {
  callSessionById, campaignState, claimantCallState, closeCallRequest, expireCallRequests,
  insertCampaign, lockCallRequest, reapSessions, setLineLimit,
  updateCampaignStatus,
} from './line-writes.sql.js';
import { dispatchRequests, endSessionAndDispatch, startOrQueueCall } from './dispatch.sql.js';
import { estimatedWaitSeconds, lineFigures, requestsByIds, type PlacedRequest } from './lines.sql.js';
import { applyOutcome, type CallOutcome } from './outcome.service.js';

export interface InitiateCallResult {
  status: 'STARTED' | 'QUEUED';
  session: CallSession | null;
  request: PlacedRequest | null;
  position: number | null;
  estimatedWaitSeconds: number | null;
}

export interface CallInput {
  userId: number;
  agentId: number;
  callType: CallType;
  campaignId: number | null;
  /** A direct call outside the contact policy: why (the claimant asked to be called now). */
  overrideReason: string | null;
}

/**
 * initiateCall: a line if one is free (STARTED, with an active session), else a call request
 * (QUEUED, with its position and an estimated wait). Never refused for being at the limit.
 * Claimant first, then the line row: the lock order every line write follows. A request's
 * created_at is the clock at insert, under the line lock — the order requests joined the line
 * (a transaction's now() is its start, which can be earlier than a request that got in first).
 */
export async function initiateCall(op: Operation, input: CallInput): Promise<InitiateCallResult> {
  if (input.callType === 'campaign' && input.campaignId === null) throw badInput('a CAMPAIGN call needs a campaignId');
  if (input.callType === 'direct' && input.campaignId !== null) throw badInput('a DIRECT call takes no campaignId');
  if (input.overrideReason !== null) {
    if (input.callType === 'campaign') throw badInput('overrideReason is for DIRECT calls; a campaign call always follows the contact policy');
    input = { ...input, overrideReason: requireReason(input.overrideReason, 'overrideReason') };
  }
  const started = await phaseTransaction(op, async (tx) => {
    const facts = await lockedFacts(tx, input.userId);
    refuseConverted(facts);
    if (facts.claimant.doNotCall) throw conflict(`claimant ${input.userId} is marked do-not-call: they asked not to be called`);
    await requireActiveAgent(tx.em, input.agentId);
    refuseOutsidePolicy(facts, input, tx.settings);
    if (input.campaignId !== null) {
      const campaign = await campaignState(tx.em, input.campaignId);
      if (!campaign) throw notFound(`campaign ${input.campaignId} does not exist`);
      if (campaign.status !== 'active') throw conflict(`campaign ${input.campaignId} (${campaign.name}) is paused`);
    }
    const busy = await claimantCallState(tx.em, input.userId);
    if (busy.session) throw conflict(`claimant ${input.userId} is already on a call (session ${busy.session})`, { sessionId: String(busy.session) });
    if (busy.request) throw conflict(`claimant ${input.userId} already has a call waiting for a line (request ${busy.request})`, { requestId: String(busy.request) });

    const live = await liveEntry(tx.em, tx.store, input.userId, false);
    // Last, the line row: held for this one statement and the commit (requests already waiting
    // go first: a raised limit, a line freed without a dispatch).
    return startOrQueueCall(tx.em, input, live, tx.settings);
  });
  if ('session' in started) return { status: 'STARTED', session: started.session, request: null, position: null, estimatedWaitSeconds: null };
  // Its place in the line as it is once the line row is let go (already dispatched by then: the
  // request says so, with no position).
  const [request] = await requestsByIds(op.em, [started.requestId]);
  const figures = await lineFigures(op.em);
  return {
    status: 'QUEUED', session: null, request: request!, position: request!.position,
    estimatedWaitSeconds: request!.position === null ? null : estimatedWaitSeconds(request!.position, figures, op.settings.lines.defaultCallSeconds),
  };
}

/**
 * The contact policy decides whether this call may start now (before anything is written): a
 * campaign call never starts outside it; a direct one only with an override reason, recorded
 * on its request and session.
 */
function refuseOutsidePolicy(facts: ClaimantFacts, input: CallInput, settings: QueueSettings): void {
  const verdict = contactVerdict(contactFactsOf(facts), new Date(), settings);
  if (verdict.kind !== 'not_now' || (input.callType === 'direct' && input.overrideReason !== null)) return;
  const how = input.callType === 'campaign'
    ? 'campaign calls follow the contact policy'
    : 'a direct call may start anyway with overrideReason (for example, the claimant asked to be called now)';
  throw conflict(`claimant ${input.userId} may not be called now (${verdict.reason}); the next allowed time is ${verdict.until.toISOString()}; ${how}`,
    { reason: verdict.reason, availableAt: verdict.until.toISOString() });
}

/**
 * Starts the best queued requests while lines are free: direct before campaign, oldest first,
 * each judged by the contact policy again as a line frees for it (it may have waited past the
 * end of the calling window, into a cooldown, or the claimant may have asked not to be called;
 * a direct call with an override reason starts anyway, as it would have at once). Runs in the
 * transaction that freed the line, so a freed line is never left idle while a request waits.
 * Expired requests met on the way are closed, not started. One statement (migration 0020's
 * callqueue_dispatch); returns the lines still free afterwards (the line row stays locked
 * until the caller commits).
 */
export async function dispatch(op: Operation): Promise<number> {
  return dispatchRequests(op.em, op.settings);
}

/**
 * endCall: the session ends with its outcome, which counts as a call attempt exactly as in
 * recordCallOutcome (applyOutcome), with the claimant's entry when it is assigned to the
 * session's agent. The line is freed and the best queued request started, in the same transaction.
 */
export async function endCall(op: Operation, sessionId: number, outcome: CallOutcome, agentId: number | null): Promise<CallSession> {
  return phaseTransaction(op, async (tx) => {
    const session = await callSessionById(tx.em, sessionId);
    if (!session) throw notFound(`call session ${sessionId} does not exist`);
    if (agentId !== null && session.agentId !== agentId) {
      throw forbidden(`an AGENT key ends its own calls only; session ${sessionId} is agent ${session.agentId}'s, not agent ${agentId}'s`);
    }
    // Claimant first, then the session: the lock order of every call write.
    const facts = await lockedFacts(tx, session.userId);
    const locked = await callSessionById(tx.em, sessionId, true);
    if (locked!.status !== 'active') throw conflict(`call session ${sessionId} has already ended (${locked!.status}${locked!.outcome ? `, ${locked!.outcome}` : ''})`);

    const live = await liveEntry(tx.em, tx.store, session.userId, true);
    const onEntry = live?.status === 'assigned' && live.assignedToAgentId === session.agentId ? live : null;
    // Everything but the line first: the line row, which every call start and end queues on, is
    // taken by the session's end and held only for that, the dispatch and the commit.
    await applyOutcome(tx, facts, onEntry, outcome, false, 'ended by the caller');
    return endSessionAndDispatch(tx.em, sessionId, outcome, tx.settings);
  });
}

async function closeRequest(op: Operation, id: number, status: 'cancelled' | 'expired', reason: string): Promise<void> {
  await closeCallRequest(op.em, id, status, reason);
  await op.events.publish(op.em, { topic: 'callRequestUpdated', requestId: id });
}

/** cancelCallRequest: a queued request only. */
export async function cancelCallRequest(op: Operation, id: number, agentId: number | null): Promise<PlacedRequest> {
  return phaseTransaction(op, async (tx) => {
    const request = await lockCallRequest(tx.em, id);
    if (!request) throw notFound(`call request ${id} does not exist`);
    if (agentId !== null && request.agentId !== agentId) {
      throw forbidden(`an AGENT key cancels its own call requests only; request ${id} is agent ${request.agentId}'s`);
    }
    if (request.status !== 'queued') throw conflict(`call request ${id} is ${request.status}; only a queued request can be cancelled`);
    await closeRequest(tx, id, 'cancelled', 'cancelled by its agent');
    await tx.events.publish(tx.em, { topic: 'callRequestUpdated', requestId: null });
    return (await requestsByIds(tx.em, [id]))[0]!;
  });
}

/**
 * The lines job: queued requests past their maximum wait expire; sessions active past the
 * maximum duration end as failed (their line is freed), then waiting requests are dispatched.
 */
export async function reapLines(op: Operation): Promise<{ expired: number; reaped: number }> {
  return phaseTransaction(op, async (tx) => {
    const expired = await expireCallRequests(tx.em, tx.settings.lines.maxWaitSeconds);
    for (const r of expired) await tx.events.publish(tx.em, { topic: 'callRequestUpdated', requestId: r.id });
    const reaped = await reapSessions(tx.em, tx.settings.lines.maxCallSeconds);
    if (expired.length > 0 || reaped.length > 0) await dispatch(tx);
    return { expired: expired.length, reaped: reaped.length };
  });
}

/** At start: the configured limit becomes the limit of every instance (the last one started wins). */
export async function applyLineLimit(op: Operation, limit: number): Promise<void> {
  await phaseTransaction(op, async (tx) => {
    await setLineLimit(tx.em, limit);
    await dispatch(tx);
  });
}

export async function createCampaign(op: Operation, name: string, queueType: string): Promise<Campaign> {
  const text = name.trim();
  if (text.length === 0 || text.length > 200) throw badInput('name must be 1–200 characters');
  const campaign = await insertCampaign(op.em, text, queueType);
  if (!campaign) throw conflict(`a campaign named "${text}" exists already`);
  return campaign;
}

export async function setCampaignStatus(op: Operation, id: number, status: 'active' | 'paused'): Promise<Campaign> {
  const campaign = await updateCampaignStatus(op.em, id, status);
  if (!campaign) throw notFound(`campaign ${id} does not exist`);
  return campaign;
}
