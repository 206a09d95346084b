import { recordCallOutcome } from '../../modules/call/outcome.service.js';
import { parseId, parseUserId } from '../../modules/ids.js';
import { assignNextUser, releaseEntry } from '../../modules/queue/claim.service.js';
import { renewAssignment } from '../../modules/queue/leases.service.js';
import { enqueueUser, removeFromQueue, transitionUser } from '../../modules/queue/queue-writes.service.js';
import { requireAgentOrAdmin, requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { agentRestriction, operationFor } from '../operation.js';

/** The writes of the queues: enqueue, claim, release, outcome, move (schema/queue.graphql). */
export const queueWriteResolvers: Resolvers = {
  Mutation: {
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
    renewAssignment: async (_, { entryId }, ctx) => {
      requireRole(ctx, 'AGENT');
      return (await renewAssignment(operationFor(ctx), parseId(entryId, 'entryId'), agentRestriction(ctx))).entry;
    },
    recordCallOutcome: async (_, { input }, ctx) => {
      requireRole(ctx, 'AGENT');
      const result = await recordCallOutcome(operationFor(ctx), {
        entryId: parseId(input.entryId, 'entryId'), outcome: input.outcome, doNotCall: input.doNotCall, notes: input.notes,
      }, agentRestriction(ctx));
      return result;
    },
    transitionUser: (_, { userId, to, reason }, ctx) => {
      requireRole(ctx, 'INTEGRATOR');
      return transitionUser(operationFor(ctx), parseUserId(userId), to, reason);
    },
  },
  // The score is read only when asked for (the outcome itself is one statement).
  CallOutcomeResult: {
    score: async (result, _, ctx) => (await ctx.loaders.score.load(result.userId))!,
    conversion: (result, _, ctx) => (result.conversionId === null ? null : ctx.loaders.conversion.load(result.conversionId)),
  },
};
