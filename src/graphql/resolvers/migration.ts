import { badInput, notFound } from '../../modules/errors.js';
import { parseId } from '../../modules/ids.js';
import { DEFAULT_BATCH_SIZE, type MigrationRunRecord } from '../../modules/migration/migration.service.js';
import { storeCounts } from '../../modules/migration/migration.sql.js';
import type { MigrationPhase } from '../../modules/migration/phases.js';
import { requireRole } from '../auth.js';
import type { GraphQLContext } from '../context.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { resumable } from './events.js';
import { operationFor } from '../operation.js';

function lastOf(last: number | null | undefined, fallback: number): number {
  const n = last ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > 100) throw badInput(`last must be 1–100, got ${n}`, { field: 'last' });
  return n;
}

const status = (ctx: GraphQLContext) => ctx.migration.status(ctx.em);

export const migrationResolvers: Resolvers = {
  Query: {
    migrationStatus: (_, __, ctx) => {
      requireRole(ctx, 'VIEWER');
      return status(ctx);
    },
    migrationRun: (_, { id }, ctx) => {
      requireRole(ctx, 'ADMIN');
      return ctx.migration.run(ctx.em, parseId(id, 'id'));
    },
  },
  Mutation: {
    previewQueueMigration: (_, __, ctx) => {
      requireRole(ctx, 'ADMIN');
      return ctx.migration.preview();
    },
    applyQueueMigration: (_, { batchSize, wait }, ctx) => {
      requireRole(ctx, 'ADMIN');
      return ctx.migration.apply(batchSize ?? DEFAULT_BATCH_SIZE, operationFor(ctx).actor, wait ?? false);
    },
    validateQueueMigration: (_, __, ctx) => {
      requireRole(ctx, 'ADMIN');
      return ctx.migration.validate(operationFor(ctx).actor);
    },
    setMigrationPhase: async (_, { phase, reason }, ctx) => {
      requireRole(ctx, 'ADMIN');
      const why = reason?.trim() || null;
      if (why && why.length > 500) throw badInput(`the reason is ${why.length} characters; at most 500`, { field: 'reason' });
      await ctx.migration.setPhase(phase as MigrationPhase, operationFor(ctx).actor, why);
      return status(ctx);
    },
    rollbackQueueMigration: async (_, { reason }, ctx) => {
      requireRole(ctx, 'ADMIN');
      await ctx.migration.rollback(reason, operationFor(ctx).actor);
      return status(ctx);
    },
  },
  Subscription: {
    migrationProgress: {
      subscribe: async (_, { runId, after }, ctx) => {
        requireRole(ctx, 'ADMIN');
        const id = parseId(runId, 'runId');
        if (!(await ctx.migration.run(ctx.em, id))) throw notFound(`no migration run ${id}`);
        // The run as it is now first: a client subscribing after a fast run finished still learns its end.
        return resumable(ctx, after, (s) => (s.topic === 'migrationProgress' && s.runId === id ? { runId: id } : null), { initial: { runId: id } });
      },
      resolve: async (item: { runId: number }, _: unknown, ctx: GraphQLContext) => (await ctx.migration.run(ctx.em, item.runId))!,
    },
  },
  MigrationStatus: {
    counts: (_, __, ctx) => storeCounts(ctx.em),
    readFallbacks: (_, __, ctx) => ctx.phases.readFallbacks,
    history: (_, { last }, ctx) => ctx.migration.history(ctx.em, lastOf(last, 10)),
    lastRuns: (_, { last }, ctx) => ctx.migration.runs(ctx.em, lastOf(last, 5)),
  },
  MigrationRun: {
    progress: (r: MigrationRunRecord) => (r.totalRows === 0 ? 1 : Math.min(1, r.processedRows / r.totalRows)),
    resumedFrom: (r: MigrationRunRecord) => (r.stats.resumedFrom as number | undefined) ?? null,
    conflictsResolved: (r: MigrationRunRecord) => (r.stats.conflictsResolved as number | undefined) ?? null,
    callbacksConverted: (r: MigrationRunRecord) => (r.stats.callbacksConverted as number | undefined) ?? null,
  },
};
