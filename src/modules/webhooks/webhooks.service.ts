import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, conflict, notFound } from '../errors.js';
import { decodeCursor, encodeCursor, type Page } from '../pagination.js';
import { checkWebhookUrl } from './destination.js';
import type { SecretKeeper } from './secret-keeper.js';
import { generateWebhookSecret } from './signature.js';
import {
  attemptsOf, deleteWebhookRow, findWebhook, insertWebhook, listDeliveries, lockWebhook, redeliver, replaceSecret, updateWebhookRow,
  type AttemptRecord, type DeliveryRecord, type DeliveryStatus, type WebhookRecord,
} from './webhooks.sql.js';

export { listWebhooks, type AttemptRecord, type DeliveryRecord, type WebhookRecord } from './webhooks.sql.js';

/** What the webhook services need besides the EntityManager. */
export interface WebhookSettings {
  allowPrivate: boolean;
  secrets: SecretKeeper;
}

export interface WebhookWithSecret {
  webhook: WebhookRecord;
  /** Shown once, here. */
  secret: string;
}

/** A rotation keeps the old secret signing at most a week. */
export const MAX_ROTATION_GRACE_HOURS = 168;

function checkEventTypes(types: readonly string[]): string[] {
  const unique = [...new Set(types)];
  if (unique.length === 0) throw badInput('eventTypes must name at least one event type', { field: 'eventTypes' });
  return unique;
}

function checkDescription(text: string | null | undefined): string | null {
  const description = text?.trim() ?? '';
  if (description.length > 500) throw badInput('description must be at most 500 characters', { field: 'description' });
  return description === '' ? null : description;
}

async function existing(em: EntityManager, id: number): Promise<WebhookRecord> {
  const webhook = await lockWebhook(em, id);
  if (!webhook) throw notFound(`webhook ${id} does not exist`);
  return webhook;
}

/** createWebhook: checked before anything is written; the secret is returned once and stored sealed. */
export async function createWebhook(
  em: EntityManager, settings: WebhookSettings, input: { url: string; eventTypes: readonly string[]; description?: string | null },
): Promise<WebhookWithSecret> {
  const eventTypes = checkEventTypes(input.eventTypes);
  const description = checkDescription(input.description);
  const url = await checkWebhookUrl(input.url, settings.allowPrivate);
  const secret = generateWebhookSecret();
  const box = await settings.secrets.box(em);
  const webhook = await insertWebhook(em, { url, description, eventTypes, secretSealed: box.seal(secret) });
  return { webhook, secret };
}

/** updateWebhook: only what is given changes; enabling clears the reason it was disabled. */
export async function updateWebhook(
  em: EntityManager, settings: WebhookSettings, id: number,
  input: { url?: string | null; eventTypes?: readonly string[] | null; description?: string | null; enabled?: boolean | null },
): Promise<WebhookRecord> {
  const eventTypes = input.eventTypes == null ? undefined : checkEventTypes(input.eventTypes);
  const description = input.description == null ? undefined : checkDescription(input.description);
  const url = input.url == null ? undefined : await checkWebhookUrl(input.url, settings.allowPrivate);
  const enabled = input.enabled ?? undefined;
  return em.transactional(async (tx) => {
    await existing(tx, id);
    return updateWebhookRow(tx, id, {
      url, eventTypes, description, enabled, disabledReason: enabled === false ? 'disabled by an admin' : null,
    });
  });
}

export async function deleteWebhook(em: EntityManager, id: number): Promise<WebhookRecord> {
  return em.transactional(async (tx) => {
    const webhook = await existing(tx, id);
    await deleteWebhookRow(tx, id);
    return webhook;
  });
}

/** rotateWebhookSecret: a new secret; the old one signs too for graceHours (0: stops at once). */
export async function rotateWebhookSecret(em: EntityManager, settings: WebhookSettings, id: number, graceHours: number): Promise<WebhookWithSecret> {
  if (!Number.isInteger(graceHours) || graceHours < 0 || graceHours > MAX_ROTATION_GRACE_HOURS) {
    throw badInput(`graceHours must be a whole number from 0 to ${MAX_ROTATION_GRACE_HOURS}, got ${graceHours}`, { field: 'graceHours' });
  }
  const secret = generateWebhookSecret();
  const box = await settings.secrets.box(em);
  return em.transactional(async (tx) => {
    await existing(tx, id);
    const until = graceHours === 0 ? null : new Date(Date.now() + graceHours * 3_600_000);
    return { webhook: await replaceSecret(tx, id, box.seal(secret), until), secret };
  });
}

/** A delivery with its attempts, as webhookDeliveries lists it. */
export type DeliveryView = DeliveryRecord & { attemptList: AttemptRecord[] };
export type DeliveryPage = Page<DeliveryView>;
export type DeliveryEdge = DeliveryPage['edges'][number];

export async function webhookDeliveries(
  em: EntityManager, webhookId: number, status: DeliveryStatus | null, first: number, after: string | null,
): Promise<Page<DeliveryView>> {
  const before = after ? Number(decodeCursor(after, ['number'])[0]) : null;
  if (!(await findWebhook(em, webhookId))) throw notFound(`webhook ${webhookId} does not exist`);
  const rows = await listDeliveries(em, webhookId, status, before, first + 1);
  const page = rows.slice(0, first);
  const attempts = page.length ? await attemptsOf(em, page.map((d) => d.id)) : [];
  const nodes = page.map((d) => ({ ...d, attemptList: attempts.filter((a) => Number(a.deliveryId) === Number(d.id)) }));
  const edges = nodes.map((node) => ({ cursor: encodeCursor([Number(node.id)]), node }));
  return { edges, nodes, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? after } };
}

/** redeliverEvent: a new delivery of an event still in the log, due now, whatever the webhook's types. */
export async function redeliverEvent(em: EntityManager, webhookId: number, eventId: number): Promise<DeliveryView> {
  return em.transactional(async (tx) => {
    const webhook = await existing(tx, webhookId);
    if (!webhook.enabled) throw conflict(`webhook ${webhookId} is disabled (${webhook.disabledReason}): enable it with updateWebhook first`);
    const delivery = await redeliver(tx, webhookId, eventId);
    if (!delivery) throw notFound(`event ${eventId} is not in the event log (unknown, or older than EVENT_RETENTION_DAYS)`);
    return { ...delivery, attemptList: [] };
  });
}
