import { GraphQLError } from 'graphql';
import type { Orm } from '../db/orm.js';
import { roleAtLeast, type Role } from '../modules/auth/roles.js';
import type { ApiKeyResolver, Caller } from '../modules/auth/api-keys.js';
import { forbidden, unauthenticated } from '../modules/errors.js';
import type { GraphQLContext } from './context.js';

function bearer(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return match ? match[1]! : null;
}

export type Authenticate = (authorization: unknown) => Promise<Caller>;

/**
 * Resolves the presented key (`Authorization` on HTTP, `connectionParams.authorization` on
 * WebSocket); no key or an unknown one is refused before execution.
 */
export function authenticator(orm: Orm, keys: ApiKeyResolver): Authenticate {
  return async (authorization) => {
    const key = bearer(authorization);
    if (!key) {
      throw new GraphQLError('an API key is required: send "Authorization: Bearer <key>"', {
        extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
      });
    }
    const caller = await keys.resolve(orm.em.fork(), key);
    if (!caller) {
      throw new GraphQLError('the API key presented is unknown or revoked', {
        extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
      });
    }
    return caller;
  };
}

/** The single access check resolvers call first; returns the caller for convenience. */
export function requireRole(ctx: GraphQLContext, required: Role): Caller {
  const caller = ctx.caller;
  if (!caller) throw unauthenticated('an API key is required: send "Authorization: Bearer <key>"');
  if (!roleAtLeast(caller.role, required)) {
    throw forbidden(`this operation needs the ${required} role or above; the key presented is ${caller.role}`);
  }
  return caller;
}

/** AGENT keys act for their own agent only; ADMIN may act for any agent. */
export function requireAgentOrAdmin(ctx: GraphQLContext, agentId: number): Caller {
  const caller = requireRole(ctx, 'AGENT');
  if (caller.role === 'AGENT' && caller.agentId !== agentId) {
    throw forbidden(`an AGENT key acts for agent ${caller.agentId} only, not agent ${agentId}`);
  }
  return caller;
}
