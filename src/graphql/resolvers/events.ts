import { readEvents, type LoggedEventRecord as Row } from '../../modules/events/event-log.js';
import { parseUserId } from '../../modules/ids.js';
import { checkPageSize } from '../../modules/pagination.js';
import { requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';

/** The subject of an event, under the field its type names. */
const subject = (type: string) => (e: Row) => (e.type === type ? e.subject_id : null);

export const eventResolvers: Resolvers = {
  Query: {
    events: (_, { after, types, userId, first }, ctx) => {
      requireRole(ctx, 'VIEWER');
      return readEvents(ctx.em, {
        after: after ?? null, types: types?.length ? types : null, userId: userId ? parseUserId(userId) : null,
        first: checkPageSize(first, 100, ctx.config.MAX_PAGE_SIZE),
      });
    },
  },
  LoggedEvent: {
    queueType: (e: Row) => e.queue_type as never,
    userId: (e: Row) => e.user_id,
    entryId: (e: Row) => e.entry_id,
    callbackId: subject('CALLBACK_DUE'),
    callRequestId: subject('CALL_REQUEST_UPDATED'),
    conversionId: subject('CONVERSION_RECORDED'),
    migrationRunId: subject('MIGRATION_PROGRESS'),
  },
};
