import {
  actorOf, createApiKey, listApiKeys, listKeyEvents, revokeApiKey, rotateApiKey, type ApiKeyRecord,
} from '../../modules/auth/api-keys.js';
import { parseId } from '../../modules/ids.js';
import { checkPageSize } from '../../modules/pagination.js';
import { requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';

export const authResolvers: Resolvers = {
  Query: {
    viewer: (_, __, ctx) => {
      const caller = requireRole(ctx, 'VIEWER');
      return {
        role: caller.role, agentId: caller.agentId === null ? null : String(caller.agentId),
        personalData: caller.role === 'ADMIN' || caller.personalData === true,
      };
    },
    apiKeys: (_, { includeRevoked }, ctx) => {
      requireRole(ctx, 'ADMIN');
      return listApiKeys(ctx.em, includeRevoked === true);
    },
    apiKeyEvents: (_, { keyId, first }, ctx) => {
      requireRole(ctx, 'ADMIN');
      return listKeyEvents(ctx.em, keyId ? parseId(keyId, 'keyId') : null, checkPageSize(first, 100, 500));
    },
  },
  Mutation: {
    createApiKey: async (_, { role, agentId, label, expiresAt, personalData }, ctx) => {
      const caller = requireRole(ctx, 'ADMIN');
      const created = await createApiKey(ctx.em, {
        role, agentId: agentId ? parseId(agentId, 'agentId') : null, label, expiresAt: expiresAt ? new Date(expiresAt) : null,
        personalData: personalData === true,
      }, actorOf(caller));
      ctx.logger.info({ keyId: created.id, role: created.role, agentId: created.agentId, personalData: created.personalData }, 'API key created');
      return created;
    },
    revokeApiKey: async (_, { id, reason }, ctx) => {
      const caller = requireRole(ctx, 'ADMIN');
      const revoked = await revokeApiKey(ctx.em, parseId(id, 'id'), reason ?? null, actorOf(caller), ctx.config.ADMIN_API_KEY !== undefined);
      ctx.logger.info({ keyId: revoked.id }, 'API key revoked');
      return revoked;
    },
    rotateApiKey: async (_, { id, graceMinutes }, ctx) => {
      const caller = requireRole(ctx, 'ADMIN');
      const created = await rotateApiKey(ctx.em, parseId(id, 'id'), graceMinutes ?? 60, actorOf(caller));
      ctx.logger.info({ keyId: created.id, rotatedFrom: created.rotatedFrom }, 'API key rotated');
      return created;
    },
  },
  ApiKey: {
    prefix: (k: ApiKeyRecord) => k.keyPrefix,
    agent: (k: ApiKeyRecord, _, ctx) => (k.agentId === null ? null : ctx.loaders.agent.load(k.agentId)),
    usable: (k: ApiKeyRecord) => k.revokedAt === null && (k.expiresAt === null || k.expiresAt.getTime() > Date.now()),
  },
};
