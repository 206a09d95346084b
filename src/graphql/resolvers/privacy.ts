import { parseId, parseUserId } from '../../modules/ids.js';
import { checkPageSize } from '../../modules/pagination.js';
import { eraseClaimant } from '../../modules/privacy/erasure.service.js';
import { listAccess, listErasures, type AccessRecord } from '../../modules/privacy/privacy.sql.js';
import { badInput } from '../../modules/errors.js';
import { requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { operationFor } from '../operation.js';

const DAY_MS = 86_400_000;

/** Personal data: the audit of reads, erasures (schema/personal-data.graphql). */
export const privacyResolvers: Resolvers = {
  Query: {
    personalDataAccess: (_, { from, to, keyId, userId, first }, ctx) => {
      requireRole(ctx, 'ADMIN');
      const until = to ? new Date(to) : new Date();
      const since = from ? new Date(from) : new Date(until.getTime() - DAY_MS);
      if (since.getTime() > until.getTime()) throw badInput('from must not be after to', { field: 'from' });
      return listAccess(ctx.em, {
        from: since, to: until, keyId: keyId ? parseId(keyId, 'keyId') : null, userId: userId ? parseUserId(userId) : null,
        limit: checkPageSize(first, 100, ctx.config.MAX_PAGE_SIZE),
      });
    },
    claimantErasures: async (_, { first }, ctx) => {
      requireRole(ctx, 'ADMIN');
      return listErasures(ctx.em, checkPageSize(first, 100, ctx.config.MAX_PAGE_SIZE));
    },
  },
  Mutation: {
    eraseClaimant: async (_, { userId, reason }, ctx) => {
      requireRole(ctx, 'ADMIN');
      const erased = await eraseClaimant(operationFor(ctx), parseUserId(userId), reason);
      // Ids only: the log keeps no personal data, the reason included.
      ctx.logger.info({ userId: erased.userId, entriesRemoved: erased.entriesRemoved }, 'claimant erased');
      return erased;
    },
  },
  PersonalDataAccess: {
    role: (a: AccessRecord) => a.role as never,
    operationName: (a: AccessRecord) => a.operation,
  },
};
