import fs from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { buildSchema, isEnumType, type GraphQLSchema } from 'graphql';
import { projectRoot } from '../paths.js';
import { LOWERCASE_ENUMS } from './enum-values.js';
import type { Resolvers } from './generated/resolvers-types.js';
import { agentResolvers } from './resolvers/agent.js';
import { authResolvers } from './resolvers/auth.js';
import { callbackResolvers } from './resolvers/callback.js';
import { claimantResolvers } from './resolvers/claimant.js';
import { conversionResolvers } from './resolvers/conversion.js';
import { claimantFactResolvers } from './resolvers/claimant-facts.js';
import { queueWriteResolvers } from './resolvers/queue-writes.js';
import { scoreResolvers } from './resolvers/score.js';
import { lineResolvers } from './resolvers/lines.js';
import { queueResolvers } from './resolvers/queue.js';
import { migrationResolvers } from './resolvers/migration.js';
import { repopulationResolvers } from './resolvers/repopulation.js';
import { diagnosticsResolvers } from './resolvers/diagnostics.js';
import { eventResolvers } from './resolvers/events.js';
import { statsResolvers } from './resolvers/stats.js';
import { subscriptionResolvers } from './resolvers/subscription.js';
import { webhookResolvers } from './resolvers/webhooks.js';
import { privacyResolvers } from './resolvers/privacy.js';
import { applyPersonalData } from './personal-data.js';
import { DateTime } from './resolvers/scalars.js';

export function loadTypeDefs(): string[] {
  const dir = path.join(projectRoot(), 'schema');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.graphql')).sort()
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
}

/** Internal values of the lower-case enums (UNSIGNED_USERS → 'unsigned_users'), as codegen.ts declares them. */
function enumResolvers(typeDefs: string[]): Record<string, Record<string, string>> {
  const sdl = buildSchema(typeDefs.join('\n'));
  return Object.fromEntries(LOWERCASE_ENUMS.map((name) => {
    const type = sdl.getType(name);
    if (!isEnumType(type)) throw new Error(`${name} is not an enum of the schema`);
    return [name, Object.fromEntries(type.getValues().map((v) => [v.name, v.name.toLowerCase()]))];
  }));
}

const domainResolvers: Resolvers[] = [
  queueResolvers, agentResolvers, claimantResolvers, callbackResolvers, conversionResolvers, authResolvers,
  claimantFactResolvers, queueWriteResolvers, scoreResolvers,
  subscriptionResolvers, repopulationResolvers, lineResolvers, migrationResolvers, statsResolvers, diagnosticsResolvers, eventResolvers,
  webhookResolvers, privacyResolvers,
];

export function buildGraphQLSchema(): GraphQLSchema {
  const typeDefs = loadTypeDefs();
  return applyPersonalData(makeExecutableSchema({
    typeDefs,
    resolvers: [{ DateTime }, enumResolvers(typeDefs), ...domainResolvers] as never,
    inheritResolversFromInterfaces: true,
  }));
}
