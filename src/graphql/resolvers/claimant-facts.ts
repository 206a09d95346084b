import { addRequirement, markRequirementReceived, recordSignature, upsertClaimant } from '../../modules/claimant/claimant.service.js';
import { parseId, parseUserId } from '../../modules/ids.js';
import { requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { operationFor } from '../operation.js';

/** The facts integrators push about claimants (schema/claimant.graphql). */
export const claimantFactResolvers: Resolvers = {
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
  },
};
