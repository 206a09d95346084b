import { parseId } from '../../modules/ids.js';
import { checkPageSize } from '../../modules/pagination.js';
import {
  createWebhook, deleteWebhook, listWebhooks, redeliverEvent, rotateWebhookSecret, updateWebhook, webhookDeliveries,
  type DeliveryView, type WebhookRecord,
} from '../../modules/webhooks/webhooks.service.js';
import { requireRole } from '../auth.js';
import type { Resolvers } from '../generated/resolvers-types.js';

export const webhookResolvers: Resolvers = {
  Query: {
    webhooks: (_, __, ctx) => {
      requireRole(ctx, 'ADMIN');
      return listWebhooks(ctx.em);
    },
    webhookDeliveries: (_, { webhookId, status, first, after }, ctx) => {
      requireRole(ctx, 'ADMIN');
      return webhookDeliveries(ctx.em, parseId(webhookId, 'webhookId'), status ?? null, checkPageSize(first, 50, ctx.config.MAX_PAGE_SIZE), after ?? null);
    },
  },
  Mutation: {
    createWebhook: async (_, { input }, ctx) => {
      requireRole(ctx, 'ADMIN');
      const created = await createWebhook(ctx.em, ctx.webhooks, input);
      ctx.logger.info({ webhookId: created.webhook.id, eventTypes: created.webhook.eventTypes }, 'webhook created');
      return created;
    },
    updateWebhook: async (_, { id, input }, ctx) => {
      requireRole(ctx, 'ADMIN');
      const updated = await updateWebhook(ctx.em, ctx.webhooks, parseId(id, 'id'), input);
      ctx.logger.info({ webhookId: updated.id, enabled: updated.enabled }, 'webhook updated');
      return updated;
    },
    deleteWebhook: async (_, { id }, ctx) => {
      requireRole(ctx, 'ADMIN');
      const deleted = await deleteWebhook(ctx.em, parseId(id, 'id'));
      ctx.logger.info({ webhookId: deleted.id }, 'webhook deleted');
      return deleted;
    },
    rotateWebhookSecret: async (_, { id, graceHours }, ctx) => {
      requireRole(ctx, 'ADMIN');
      const rotated = await rotateWebhookSecret(ctx.em, ctx.webhooks, parseId(id, 'id'), graceHours ?? 24);
      ctx.logger.info({ webhookId: rotated.webhook.id, graceHours }, 'webhook secret rotated');
      return rotated;
    },
    redeliverEvent: (_, { webhookId, eventId }, ctx) => {
      requireRole(ctx, 'ADMIN');
      return redeliverEvent(ctx.em, parseId(webhookId, 'webhookId'), parseId(eventId, 'eventId'));
    },
  },
  Webhook: {
    eventTypes: (w: WebhookRecord) => w.eventTypes as never,
    previousSecretValidUntil: (w: WebhookRecord) => (w.previousSecretUntil && w.previousSecretUntil.getTime() > Date.now() ? w.previousSecretUntil : null),
    pendingDeliveries: async (w: WebhookRecord, _, ctx) => (await ctx.loaders.webhookStats.load(Number(w.id))).pending,
    lastAttempt: async (w: WebhookRecord, _, ctx) => (await ctx.loaders.webhookStats.load(Number(w.id))).last,
  },
  WebhookDelivery: {
    eventType: (d: DeliveryView) => d.eventType as never,
    attemptCount: (d: DeliveryView) => d.attempts,
    attempts: (d: DeliveryView) => d.attemptList,
    nextAttemptAt: (d: DeliveryView) => (d.status === 'PENDING' ? d.nextAttemptAt : null),
  },
};
