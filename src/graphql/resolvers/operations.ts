import { addRequirement, markRequirementReceived, recordSignature, upsertClaimant } from '../../modules/claimant/claimant.service.js';
import { convertClaimant } from '../../modules/conversion/convert.service.js';
import { conversionStats } from '../../modules/conversion/conversion.service.js';
import { parseId, parseUserId } from '../../modules/ids.js';
import { assignNextUser, releaseEntry } from '../../modules/queue/claim.service.js';
import { recordCallOutcome } from '../../modules/call/outcome.service.js';
import { enqueueUser, removeFromQueue, transitionUser } from '../../modules/queue/queue-writes.service.js';
import { scoreBreakdown } from '../../modules/queue/score-breakdown.js';
import { requireAgentOrAdmin, requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { agentRestriction, operationFor } from '../operation.js';

export const operationResolvers: Resolvers = {
  Query: {
    scoreBreakdown: (_, { userId }, ctx) => {
      requireRole(ctx, 'VIEWER');
      return scoreBreakdown(ctx.em, ctx.store, parseUserId(userId));
    },
    conversionStats: async (_, { from, to }, ctx) => {
      requireRole(ctx, 'VIEWER');
      const stats = await conversionStats(ctx.em, (from as Date | null) ?? null, (to as Date | null) ?? null);
      return {
        ...stats,
        byPrimaryAgent: await Promise.all(stats.byPrimaryAgent.map(async (a) => ({
          count: a.count, agent: a.agentId === null ? null : await ctx.loaders.agent.load(a.agentId),
        }))),
      };
    },
  },
  Mutation: {
    upsertClaimant: (_, { input }, ctx) => {
      requireRole(ctx, 'INTEGRATOR');
      return upsertClaimant(operationFor(ctx), { ...input, userId: parseUserId(input.userId), claimId: String(input.claimId) });
    },
    addRequirement: (_, { input }, ctx) => {
      requireRole(ctx, 'INTEGRATOR');
      return addRequirement(operationFor(ctx), {
        userId: parseUserId(input.userId), requirementType: input.requirementType, deadline: (input.deadline as Date | null) ?? null,
      });
    },
    markRequirementReceived: (_, { requirementId }, ctx) => {
      requireRole(ctx, 'INTEGRATOR');
      return markRequirementReceived(operationFor(ctx), parseId(requirementId, 'requirementId'));
    },
    recordSignature: (_, { userId, signatureType }, ctx) => {
      requireRole(ctx, 'INTEGRATOR');
      return recordSignature(operationFor(ctx), parseUserId(userId), signatureType);
    },
    enqueueUser: (_, { input }, ctx) => {
      requireRole(ctx, 'INTEGRATOR');
      return enqueueUser(operationFor(ctx), { userId: parseUserId(input.userId), queueType: input.queueType, priorityScore: input.priorityScore });
    },
    removeFromQueue: (_, { userId, reason }, ctx) => {
      requireRole(ctx, 'INTEGRATOR');
      return removeFromQueue(operationFor(ctx), parseUserId(userId), reason);
    },
    assignNextUser: async (_, { agentId, queueType }, ctx) => {
      const agent = parseId(agentId, 'agentId');
      requireAgentOrAdmin(ctx, agent);
      const stop = ctx.metrics.claimDuration.startTimer({ queue: queueType });
      try {
        const entry = await assignNextUser(operationFor(ctx), agent, queueType);
        stop({ result: entry ? 'assigned' : 'empty' });
        return entry;
      } catch (error) {
        stop({ result: 'refused' });
        throw error;
      }
    },
    releaseEntry: (_, { entryId }, ctx) => {
      requireRole(ctx, 'AGENT');
      return releaseEntry(operationFor(ctx), parseId(entryId, 'entryId'), agentRestriction(ctx));
    },
    recordCallOutcome: async (_, { input }, ctx) => {
      requireRole(ctx, 'AGENT');
      const result = await recordCallOutcome(operationFor(ctx), {
        entryId: parseId(input.entryId, 'entryId'), outcome: input.outcome, doNotCall: input.doNotCall, notes: input.notes,
      }, agentRestriction(ctx));
      return { entry: result.entry, conversion: result.conversion, score: (await ctx.loaders.score.load(result.userId))! };
    },
    transitionUser: (_, { userId, to, reason }, ctx) => {
      requireRole(ctx, 'INTEGRATOR');
      return transitionUser(operationFor(ctx), parseUserId(userId), to, reason);
    },
    convertUser: (_, { input }, ctx) => {
      requireRole(ctx, 'AGENT');
      return convertClaimant(operationFor(ctx), parseUserId(input.userId), {
        conversionType: 'manual', reason: input.reason, claimValue: input.claimValue, estimatedCommission: input.estimatedCommission,
      });
    },
  },
};
