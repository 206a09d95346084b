import { roleAtLeast, type Role } from '../modules/auth/roles.js';
import type { Caller } from '../modules/auth/api-keys.js';
import { forbidden, unauthenticated } from '../modules/errors.js';
import type { GraphQLContext } from './context.js';

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
