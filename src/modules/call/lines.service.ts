import { queryOne, queryRows, sql } from '../../db/sql.js';
import { badInput, conflict, forbidden, notFound } from '../errors.js';
import { inTransaction, type Operation } from '../operation.js';
import { requireActiveAgent } from '../agent/agent.service.js';
import { applyOutcome, type CallOutcome } from '../queue/outcome.service.js';
import { lockedFacts, refuseConverted } from '../queue/queue-writes.service.js';
import type { Campaign, CallSession, CallType } from './call.entity.js';
import {
  CALL_PRIORITY, estimatedWaitSeconds, lineFigures, requestsByIds, toCampaign, toRequest, toSession, type PlacedRequest,
} from './lines.sql.js';

export interface InitiateCallResult {
  status: 'STARTED' | 'QUEUED';
  session: CallSession | null;
  request: PlacedRequest | null;
  position: number | null;
  estimatedWaitSeconds: number | null;
}

/** Locks the line row: every reservation and every dispatch queues here, across instances. */
async function lockLines(op: Operation): Promise<{ active: number; max: number }> {
  const row = await queryOne<{ active: number; max_lines: number }>(op.em, sql`SELECT active, max_lines FROM call_lines FOR UPDATE`);
  return { active: row!.active, max: row!.max_lines };
}

async function startSession(op: Operation, r: { userId: number; agentId: number; callType: CallType; campaignId: number | null }): Promise<CallSession> {
  const live = await op.queues.liveEntry(op.em, r.userId, false);
  const row = await queryOne<Record<string, unknown>>(op.em, sql`/* startSession */
    INSERT INTO call_sessions (user_id, agent_id, call_type, campaign_id, queue_type, queue_entry_id, status)
    VALUES (${r.userId}, ${r.agentId}, ${r.callType}, ${r.campaignId}, ${live?.queueType ?? null}, ${live?.id ?? null}, 'active')
    ON CONFLICT (user_id) WHERE status = 'active' DO NOTHING
    RETURNING *`);
  if (!row) throw conflict(`claimant ${r.userId} is already on an active call`);
  return toSession(row);
}

/**
 * initiateCall: a line if one is free (STARTED, with an active session), else a call request
 * (QUEUED, with its position and an estimated wait). Never refused for being at the limit.
 * Claimant first, then the line row: the lock order every line write follows. A request's
 * created_at is the clock at insert, under the line lock — the order requests joined the line
 * (a transaction's now() is its start, which can be earlier than a request that got in first).
 */
export async function initiateCall(
  op: Operation, input: { userId: number; agentId: number; callType: CallType; campaignId: number | null },
): Promise<InitiateCallResult> {
  if (input.callType === 'campaign' && input.campaignId === null) throw badInput('a CAMPAIGN call needs a campaignId');
  if (input.callType === 'direct' && input.campaignId !== null) throw badInput('a DIRECT call takes no campaignId');
  return inTransaction(op, async (tx) => {
    const facts = await lockedFacts(tx, input.userId);
    refuseConverted(facts);
    if (facts.claimant.doNotCall) throw conflict(`claimant ${input.userId} is marked do-not-call: they asked not to be called`);
    await requireActiveAgent(tx.em, input.agentId);
    if (input.campaignId !== null) {
      const campaign = await queryOne<{ status: string; name: string }>(tx.em, sql`SELECT status, name FROM campaigns WHERE id = ${input.campaignId}`);
      if (!campaign) throw notFound(`campaign ${input.campaignId} does not exist`);
      if (campaign.status !== 'active') throw conflict(`campaign ${input.campaignId} (${campaign.name}) is paused`);
    }
    const busy = await queryOne<{ session: number | null; request: number | null }>(tx.em, sql`
      SELECT (SELECT id FROM call_sessions WHERE user_id = ${input.userId} AND status = 'active') AS session,
             (SELECT id FROM call_requests WHERE user_id = ${input.userId} AND status = 'queued') AS request`);
    if (busy!.session) throw conflict(`claimant ${input.userId} is already on a call (session ${busy!.session})`, { sessionId: String(busy!.session) });
    if (busy!.request) throw conflict(`claimant ${input.userId} already has a call waiting for a line (request ${busy!.request})`, { requestId: String(busy!.request) });

    // Requests already waiting go first (a raised limit, a line freed without a dispatch).
    if ((await dispatch(tx)) > 0) {
      const session = await startSession(tx, input);
      return { status: 'STARTED', session, request: null, position: null, estimatedWaitSeconds: null };
    }
    const row = await queryOne<Record<string, unknown>>(tx.em, sql`/* queueCallRequest */
      INSERT INTO call_requests (call_type, priority, user_id, agent_id, campaign_id, created_at)
      VALUES (${input.callType}, ${CALL_PRIORITY[input.callType]}, ${input.userId}, ${input.agentId}, ${input.campaignId}, clock_timestamp())
      RETURNING id`);
    const [request] = await requestsByIds(tx.em, [row!.id as number]);
    const figures = await lineFigures(tx.em);
    return {
      status: 'QUEUED', session: null, request: request!, position: request!.position,
      estimatedWaitSeconds: estimatedWaitSeconds(request!.position!, figures, tx.settings.lines.defaultCallSeconds),
    };
  });
}

/**
 * Starts the best queued requests while lines are free: direct before campaign, oldest first.
 * Runs in the transaction that freed the line, so a freed line is never left idle while a
 * request waits. Expired requests met on the way are closed, not started. Returns the lines
 * still free afterwards (the line row stays locked until the caller commits).
 */
export async function dispatch(op: Operation): Promise<number> {
  const lines = await lockLines(op);
  let free = lines.max - lines.active;
  let moved = 0;
  while (free > 0) {
    const row = await queryOne<Record<string, unknown>>(op.em, sql`/* nextCallRequest */
      SELECT *, created_at + make_interval(secs => ${op.settings.lines.maxWaitSeconds}) < now() AS expired
        FROM call_requests WHERE status = 'queued' ORDER BY priority DESC, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`);
    if (!row) break;
    const request = toRequest(row);
    moved += 1;
    if (row.expired) {
      await closeRequest(op, request.id, 'expired');
      continue;
    }
    const session = await queryOne<Record<string, unknown>>(op.em, sql`/* dispatchSession */
      INSERT INTO call_sessions (user_id, agent_id, call_type, campaign_id, status)
      VALUES (${request.userId}, ${request.agentId}, ${request.callType}, ${request.campaignId}, 'active')
      ON CONFLICT (user_id) WHERE status = 'active' DO NOTHING RETURNING id`);
    if (!session) {
      // The claimant got on a call another way meanwhile: this request has nothing left to do.
      await closeRequest(op, request.id, 'cancelled');
      continue;
    }
    await queryRows(op.em, sql`UPDATE call_requests SET status = 'dispatched', dispatched_at = clock_timestamp(), call_session_id = ${session.id as number}
      WHERE id = ${request.id}`);
    await op.events.publish(op.em, { topic: 'callRequestUpdated', requestId: request.id });
    free -= 1;
  }
  if (moved > 0) await op.events.publish(op.em, { topic: 'callRequestUpdated', requestId: null });
  return free;
}

async function closeRequest(op: Operation, id: number, status: 'cancelled' | 'expired'): Promise<void> {
  await queryRows(op.em, sql`UPDATE call_requests SET status = ${status}, closed_at = now() WHERE id = ${id} AND status = 'queued'`);
  await op.events.publish(op.em, { topic: 'callRequestUpdated', requestId: id });
}

/**
 * endCall: the session ends with its outcome, which counts as a call attempt exactly as in
 * recordCallOutcome (applyOutcome), with the claimant's entry when it is assigned to the
 * session's agent. The line is freed and the best queued request started, in the same transaction.
 */
export async function endCall(op: Operation, sessionId: number, outcome: CallOutcome, agentId: number | null): Promise<CallSession> {
  return inTransaction(op, async (tx) => {
    const peek = await queryOne<Record<string, unknown>>(tx.em, sql`SELECT * FROM call_sessions WHERE id = ${sessionId}`);
    if (!peek) throw notFound(`call session ${sessionId} does not exist`);
    const session = toSession(peek);
    if (agentId !== null && session.agentId !== agentId) {
      throw forbidden(`an AGENT key ends its own calls only; session ${sessionId} is agent ${session.agentId}'s, not agent ${agentId}'s`);
    }
    // Claimant first, then the session: the lock order of every call write.
    const facts = await lockedFacts(tx, session.userId);
    const locked = await queryOne<{ status: string; outcome: string | null }>(tx.em, sql`
      SELECT status, outcome FROM call_sessions WHERE id = ${sessionId} FOR UPDATE`);
    if (locked!.status !== 'active') throw conflict(`call session ${sessionId} has already ended (${locked!.status}${locked!.outcome ? `, ${locked!.outcome}` : ''})`);

    const live = await tx.queues.liveEntry(tx.em, session.userId, true);
    const onEntry = live?.status === 'assigned' && live.assignedToAgentId === session.agentId ? live : null;
    await applyOutcome(tx, facts, onEntry, outcome, false);
    await dispatch(tx);
    return toSession((await queryOne<Record<string, unknown>>(tx.em, sql`SELECT * FROM call_sessions WHERE id = ${sessionId}`))!);
  });
}

/** cancelCallRequest: a queued request only. */
export async function cancelCallRequest(op: Operation, id: number, agentId: number | null): Promise<PlacedRequest> {
  return inTransaction(op, async (tx) => {
    const row = await queryOne<Record<string, unknown>>(tx.em, sql`SELECT * FROM call_requests WHERE id = ${id} FOR UPDATE`);
    if (!row) throw notFound(`call request ${id} does not exist`);
    const request = toRequest(row);
    if (agentId !== null && request.agentId !== agentId) {
      throw forbidden(`an AGENT key cancels its own call requests only; request ${id} is agent ${request.agentId}'s`);
    }
    if (request.status !== 'queued') throw conflict(`call request ${id} is ${request.status}; only a queued request can be cancelled`);
    await closeRequest(tx, id, 'cancelled');
    await tx.events.publish(tx.em, { topic: 'callRequestUpdated', requestId: null });
    return (await requestsByIds(tx.em, [id]))[0]!;
  });
}

/**
 * The lines job: queued requests past their maximum wait expire; sessions active past the
 * maximum duration end as failed (their line is freed), then waiting requests are dispatched.
 */
export async function reapLines(op: Operation): Promise<{ expired: number; reaped: number }> {
  return inTransaction(op, async (tx) => {
    const expired = await queryRows<{ id: number }>(tx.em, sql`/* expireCallRequests */
      UPDATE call_requests SET status = 'expired', closed_at = now()
       WHERE id IN (SELECT id FROM call_requests WHERE status = 'queued'
                      AND created_at + make_interval(secs => ${tx.settings.lines.maxWaitSeconds}) < now() FOR UPDATE SKIP LOCKED)
      RETURNING id`);
    for (const r of expired) await tx.events.publish(tx.em, { topic: 'callRequestUpdated', requestId: r.id });
    const reaped = await queryRows<{ id: number }>(tx.em, sql`/* reapSessions */
      UPDATE call_sessions SET status = 'failed', outcome = 'failed', ended_at = now()
       WHERE id IN (SELECT id FROM call_sessions WHERE status = 'active'
                      AND started_at + make_interval(secs => ${tx.settings.lines.maxCallSeconds}) < now() FOR UPDATE SKIP LOCKED)
      RETURNING id`);
    if (expired.length > 0 || reaped.length > 0) await dispatch(tx);
    return { expired: expired.length, reaped: reaped.length };
  });
}

/** At start: the configured limit becomes the limit of every instance (the last one started wins). */
export async function applyLineLimit(op: Operation, limit: number): Promise<void> {
  await inTransaction(op, async (tx) => {
    await queryRows(tx.em, sql`UPDATE call_lines SET max_lines = ${limit} WHERE max_lines <> ${limit}`);
    await dispatch(tx);
  });
}

export async function createCampaign(op: Operation, name: string, queueType: string): Promise<Campaign> {
  const text = name.trim();
  if (text.length === 0 || text.length > 200) throw badInput('name must be 1–200 characters');
  const row = await queryOne<Record<string, unknown>>(op.em, sql`INSERT INTO campaigns (name, queue_type) VALUES (${text}, ${queueType})
    ON CONFLICT (name) DO NOTHING RETURNING *`);
  if (!row) throw conflict(`a campaign named "${text}" exists already`);
  return toCampaign(row);
}

export async function setCampaignStatus(op: Operation, id: number, status: 'active' | 'paused'): Promise<Campaign> {
  const row = await queryOne<Record<string, unknown>>(op.em, sql`UPDATE campaigns SET status = ${status}, updated_at = now() WHERE id = ${id} RETURNING *`);
  if (!row) throw notFound(`campaign ${id} does not exist`);
  return toCampaign(row);
}
