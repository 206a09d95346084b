import { badInput, conflict, forbidden, notFound, requireReason } from '../errors.js';
import { phaseTransaction, type Operation } from '../operation.js';
import type { Campaign, CallSession, CallType } from './call.entity.js';
import {
  closeCallRequest, expireCallRequests, insertCampaign, lockCallRequest, reapSessions, setLineLimit, updateCampaignStatus,
} from './line-writes.sql.js';
import { dispatchRequests, endCallWithOutcome, startOrQueueCall } from './dispatch.sql.js';
import { estimatedWaitSeconds, lineFigures, requestsByIds, type PlacedRequest } from './lines.sql.js';
import type { CallOutcome } from './outcome.service.js';

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
  // One statement: the checks, then the line row, held for the rest of it and the commit.
  const started = await startOrQueueCall(op.em, input, op.settings);
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
 * recordCallOutcome (callqueue_apply_outcome), with the claimant's entry when it is assigned to
 * the session's agent. The line is freed and the best queued request started, in the same
 * transaction. One statement: migration 0021's callqueue_end_call.
 */
export async function endCall(op: Operation, sessionId: number, outcome: CallOutcome, agentId: number | null): Promise<CallSession> {
  return endCallWithOutcome(op.em, sessionId, agentId, outcome, op.actor, op.settings);
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
