import type { Operation } from '../modules/operation.js';
import type { GraphQLContext } from './context.js';

/** The write context of a request: who acts is written to queue_transitions. */
export function operationFor(ctx: GraphQLContext): Operation {
  const caller = ctx.caller!;
  const who = caller.keyId === 'env' ? 'env' : `key ${caller.keyId}`;
  const actor = caller.agentId !== null ? `agent ${caller.agentId} (${who})` : `${caller.role.toLowerCase()} (${who})`;
  return { em: ctx.em, events: ctx.events, store: ctx.store, settings: ctx.settings, actor };
}

/** AGENT keys act only for their own agent; ADMIN keys act for any (null = no restriction). */
export function agentRestriction(ctx: GraphQLContext): number | null {
  return ctx.caller?.role === 'AGENT' ? ctx.caller.agentId : null;
}
