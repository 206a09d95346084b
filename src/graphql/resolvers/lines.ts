import { activeSessions, estimatedWaitSeconds, listCampaigns, queuedRequests, type LineFigures, type PlacedRequest } from '../../modules/call/lines.sql.js';
import { checkPageSize } from '../../modules/pagination.js';
import {
  cancelCallRequest, createCampaign, endCall, initiateCall, setCampaignStatus,
} from '../../modules/call/lines.service.js';
import { parseId, parseUserId } from '../../modules/ids.js';
import { notFound } from '../../modules/errors.js';
import { requireAgentOrAdmin, requireRole } from '../auth.js';
import type { GraphQLContext } from '../context.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { resumable } from './events.js';
import { selectsAnyOf } from '../selection.js';
import { agentRestriction, operationFor } from '../operation.js';

/** Wait of a new request behind `ahead` queued ones (0 when a line is free). */
const waitFor = (ctx: GraphQLContext, f: LineFigures, ahead: number) =>
  (f.active < f.limit ? 0 : estimatedWaitSeconds(ahead + 1, f, ctx.settings.lines.defaultCallSeconds));

/** How often a waiting request's subscriber hears that its position may have moved. */
const POSITION_UPDATE_MS = 250;

export const lineResolvers: Resolvers = {
  Query: {
    lineStatus: (_, __, ctx) => {
      requireRole(ctx, 'VIEWER');
      return ctx.loaders.lineFigures.load('now');
    },
    callSession: (_, { id }, ctx) => {
      requireRole(ctx, 'VIEWER');
      return ctx.loaders.callSession.load(parseId(id, 'id'));
    },
    callRequest: (_, { id }, ctx) => {
      requireRole(ctx, 'VIEWER');
      return ctx.loaders.callRequest.load(parseId(id, 'id'));
    },
    campaigns: (_, __, ctx) => {
      requireRole(ctx, 'VIEWER');
      return listCampaigns(ctx.em);
    },
  },
  Mutation: {
    initiateCall: (_, { input }, ctx) => {
      const agentId = parseId(input.agentId, 'agentId');
      requireAgentOrAdmin(ctx, agentId);
      return initiateCall(operationFor(ctx), {
        userId: parseUserId(input.userId), agentId, callType: input.callType,
        campaignId: input.campaignId ? parseId(input.campaignId, 'campaignId') : null, overrideReason: input.overrideReason ?? null,
      });
    },
    endCall: (_, { sessionId, outcome }, ctx) => {
      requireRole(ctx, 'AGENT');
      return endCall(operationFor(ctx), parseId(sessionId, 'sessionId'), outcome, agentRestriction(ctx));
    },
    cancelCallRequest: (_, { id }, ctx) => {
      requireRole(ctx, 'AGENT');
      return cancelCallRequest(operationFor(ctx), parseId(id, 'id'), agentRestriction(ctx));
    },
    createCampaign: (_, { name, queueType }, ctx) => {
      requireRole(ctx, 'ADMIN');
      return createCampaign(operationFor(ctx), name, queueType);
    },
    setCampaignStatus: (_, { id, status }, ctx) => {
      requireRole(ctx, 'ADMIN');
      return setCampaignStatus(operationFor(ctx), parseId(id, 'id'), status);
    },
  },
  Subscription: {
    callRequestUpdated: {
      subscribe: async (_, { id, after }, ctx, info) => {
        requireRole(ctx, 'VIEWER');
        const requestId = parseId(id, 'id');
        // A request that left the line before its subscriber came (dispatched between the
        // initiateCall answer and this subscription) is sent as it is now, or the client would
        // wait for an event that has passed.
        const now = await ctx.loaders.callRequest.load(requestId);
        if (!now) throw notFound(`call request ${requestId} does not exist`);
        const initial = !after && now.status !== 'queued' ? { requestId } : undefined;
        // Its own changes at once (DISPATCHED above all), and "the line moved" (positions shift)
        // while it waits, at most every POSITION_UPDATE_MS: a busy line moves many times a second.
        // A subscriber that asks for neither its position nor its wait is not woken by the line moving.
        const followsPosition = selectsAnyOf(info, ['position', 'estimatedWaitSeconds']);
        return resumable(ctx, after, (s) =>
          s.topic === 'callRequestUpdated' && (s.requestId === requestId || (followsPosition && s.requestId === null)) ? { requestId } : null,
        { initial, broadcast: { is: (s) => s.topic === 'callRequestUpdated' && s.requestId === null, intervalMs: POSITION_UPDATE_MS } });
      },
      resolve: async (item: { requestId: number }, _: unknown, ctx: GraphQLContext) => (await ctx.loaders.callRequest.load(item.requestId))!,
    },
  },
  LineStatus: {
    available: (f) => Math.max(0, f.limit - f.active),
    sessions: (_, { first }, ctx) => activeSessions(ctx.em, checkPageSize(first, 100, ctx.config.MAX_PAGE_SIZE)),
    queue: (_, { first }, ctx) => queuedRequests(ctx.em, checkPageSize(first, 100, ctx.config.MAX_PAGE_SIZE)),
    estimatedDirectWaitSeconds: (f, _, ctx) => waitFor(ctx, f, f.queuedDirect),
    estimatedCampaignWaitSeconds: (f, _, ctx) => waitFor(ctx, f, f.queuedDirect + f.queuedCampaign),
  },
  CallSession: {
    claimant: (s, _, ctx) => ctx.loaders.claimant.load(s.userId),
    agent: (s, _, ctx) => ctx.loaders.agent.load(s.agentId),
    campaign: (s, _, ctx) => (s.campaignId === null ? null : ctx.loaders.campaign.load(s.campaignId)),
  },
  CallRequest: {
    claimant: (r, _, ctx) => ctx.loaders.claimant.load(r.userId),
    agent: (r, _, ctx) => ctx.loaders.agent.load(r.agentId),
    campaign: (r, _, ctx) => (r.campaignId === null ? null : ctx.loaders.campaign.load(r.campaignId)),
    session: (r, _, ctx) => (r.callSessionId === null ? null : ctx.loaders.callSession.load(r.callSessionId)),
    estimatedWaitSeconds: async (r: PlacedRequest, _, ctx) =>
      (r.position === null ? null : estimatedWaitSeconds(r.position, await ctx.loaders.lineFigures.load('now'), ctx.settings.lines.defaultCallSeconds)),
  },
};
