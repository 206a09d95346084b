import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startReceiver, verifies, type ReceivedHook } from '../support/webhook-receiver.js';

/**
 * Webhooks, end to end: real HTTP receivers, two instances sharing the work, signatures checked
 * with the Standard Webhooks algorithm written from the specification.
 */
let server: TestServer;
let s: ReturnType<typeof seed>;

beforeAll(async () => {
  server = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  s = seed(server.db);
});
afterAll(() => server.close());

const CREATE = `mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { secret webhook { id url eventTypes enabled } } }`;
const create = async (url: string, eventTypes = ['ENTRY_ADDED', 'ENTRY_UPDATED', 'ENTRY_REMOVED']) =>
  (await server.admin.data(CREATE, { i: { url, eventTypes, description: 'test' } })).createWebhook as { secret: string; webhook: { id: string } };
const enqueue = async (userId: number) =>
  server.admin.data(`mutation($u: ID!) { enqueueUser(input: { userId: $u, queueType: UNSIGNED_USERS }) { id } }`, { u: String(userId) });
const reprioritise = async (userId: number, p: number) =>
  server.admin.data(`mutation($u: ID!, $p: Int) { enqueueUser(input: { userId: $u, queueType: UNSIGNED_USERS, priorityScore: $p }) { id } }`, { u: String(userId), p });
const remove = async (userId: number) =>
  server.admin.data(`mutation($u: ID!) { removeFromQueue(userId: $u, reason: "test") { id } }`, { u: String(userId) });

async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The events of a claimant in log order, as events(userId:) lists them. */
async function loggedIdsOf(userId: number, types: string[]): Promise<string[]> {
  const page = await server.admin.data(`query($u: ID!, $t: [EventType!]) { events(userId: $u, types: $t, first: 100) { nodes { id } } }`,
    { u: String(userId), t: types });
  return page.events.nodes.map((n: { id: string }) => n.id);
}

const delivered = (hooks: ReceivedHook[]) => hooks.filter((h) => h.answered === 200);

it('delivers every event once the endpoint is back, signed, in order per claimant, shared by two instances', async () => {
  await server.startAnother({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  let downUntil = Date.now() + 10_000;
  const receiver = await startReceiver(() => (Date.now() < downUntil ? 503 : 200));
  try {
    const { secret, webhook } = await create(receiver.url);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const users: number[] = [];
    for (let i = 0; i < 4; i += 1) users.push(await s.claimant());
    for (const u of users) await enqueue(u);
    for (const u of users) await reprioritise(u, 700);
    for (const u of users.slice(0, 2)) await remove(u);
    // The log hands events out once every older transaction of the cluster has ended (other
    // test files' too): wait until all ten are readable.
    const expected = new Map<string, string[]>();
    const total = await waitFor('the ten events in the log', async () => {
      for (const u of users) expected.set(String(u), await loggedIdsOf(u, ['ENTRY_ADDED', 'ENTRY_UPDATED', 'ENTRY_REMOVED']));
      const n = [...expected.values()].reduce((sum, ids) => sum + ids.length, 0);
      return n === 4 + 4 + 2 ? n : 0;
    }, 10_000);

    await waitFor('first failed attempts', () => receiver.received.some((h) => h.answered === 503));
    downUntil = Math.min(downUntil, Date.now() + 10_000);
    const back = downUntil;
    await waitFor('every event delivered', () => new Set(delivered(receiver.received).map((h) => h.id)).size === total, 45_000);
    const ok = delivered(receiver.received);
    // Every event within 30 s of the endpoint's return, none twice.
    expect(Math.max(...ok.map((h) => h.at)) - back).toBeLessThan(30_000);
    expect(ok.length).toBe(total);
    for (const hook of receiver.received) {
      expect(verifies(secret, hook)).toBe(true);
      expect(hook.body.data.id).toBe(hook.id);
      expect(hook.body.type).toBe(hook.body.data.type);
      expect(Math.abs(Number(hook.timestamp) * 1000 - hook.at)).toBeLessThan(5_000);
    }
    // Per claimant: in log order.
    for (const [userId, ids] of expected) {
      expect(ok.filter((h) => h.body.data.userId === userId).map((h) => h.id)).toEqual(ids);
    }
    // Retries carry the same webhook-id; the attempts are listed with their codes.
    const retried = receiver.received.filter((h) => h.answered === 503).map((h) => h.id);
    expect(retried.every((id) => ok.some((h) => h.id === id))).toBe(true);
    const list = await server.admin.data(`query($w: ID!) { webhookDeliveries(webhookId: $w, first: 50) {
      nodes { eventId status attemptCount attempts { responseCode durationMs } } } }`, { w: webhook.id });
    const nodes = list.webhookDeliveries.nodes;
    expect(nodes).toHaveLength(total);
    expect(nodes.every((n: any) => n.status === 'DELIVERED' && n.attempts.at(-1).responseCode === 200)).toBe(true);
    expect(nodes.some((n: any) => n.attempts.some((a: any) => a.responseCode === 503))).toBe(true);
    const w = (await server.admin.data(`{ webhooks { id pendingDeliveries lastAttempt { responseCode } } }`)).webhooks.find((x: { id: string }) => x.id === webhook.id);
    expect(w).toMatchObject({ id: webhook.id, pendingDeliveries: 0, lastAttempt: { responseCode: 200 } });
    await server.admin.data(`mutation($w: ID!) { deleteWebhook(id: $w) { id } }`, { w: webhook.id });
  } finally {
    await receiver.close();
  }
}, 90_000);

it('disables an endpoint that answers 410 Gone, and sends it nothing more', async () => {
  const receiver = await startReceiver(() => 410);
  try {
    const { webhook } = await create(receiver.url, ['ENTRY_ADDED']);
    const u = await s.claimant();
    await enqueue(u);
    await waitFor('the 410', () => receiver.received.length === 1);
    const state = await waitFor('the endpoint disabled', async () => {
      const w = (await server.admin.data(`{ webhooks { id enabled disabledReason } }`)).webhooks.find((x: { id: string }) => x.id === webhook.id);
      return w.enabled ? null : w;
    });
    expect(state.disabledReason).toMatch(/410 Gone/);
    await enqueue(await s.claimant());
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.received).toHaveLength(1);
    // Refused while disabled; enabled again, what is pending goes out.
    expect(await server.admin.errorCode(`mutation($w: ID!, $e: ID!) { redeliverEvent(webhookId: $w, eventId: $e) { id } }`,
      { w: webhook.id, e: receiver.received[0]!.id })).toBe('CONFLICT');
    await server.admin.data(`mutation($w: ID!) { deleteWebhook(id: $w) { id } }`, { w: webhook.id });
  } finally {
    await receiver.close();
  }
}, 30_000);

it('signs with both secrets during a rotation\'s grace, and redelivers an event with the same webhook-id', async () => {
  const receiver = await startReceiver(() => 200);
  try {
    const { secret: oldSecret, webhook } = await create(receiver.url, ['ENTRY_ADDED']);
    const rotated = (await server.admin.data(`mutation($w: ID!) { rotateWebhookSecret(id: $w, graceHours: 1) { secret webhook { previousSecretValidUntil } } }`,
      { w: webhook.id })).rotateWebhookSecret;
    expect(rotated.secret).not.toBe(oldSecret);
    expect(Date.parse(rotated.webhook.previousSecretValidUntil)).toBeGreaterThan(Date.now() + 3_500_000);
    await enqueue(await s.claimant());
    const [hook] = await waitFor('a delivery', () => (receiver.received.length ? receiver.received : false)) as ReceivedHook[];
    expect(hook!.signatures).toHaveLength(2);
    expect(verifies(oldSecret, hook!)).toBe(true);
    expect(verifies(rotated.secret, hook!)).toBe(true);
    expect(verifies('whsec_' + Buffer.alloc(32).toString('base64'), hook!)).toBe(false);

    const again = (await server.admin.data(`mutation($w: ID!, $e: ID!) { redeliverEvent(webhookId: $w, eventId: $e) { id redelivery status } }`,
      { w: webhook.id, e: hook!.id })).redeliverEvent;
    expect(again).toMatchObject({ redelivery: true, status: 'PENDING' });
    await waitFor('the redelivery', () => receiver.received.length === 2);
    expect(receiver.received[1]!.id).toBe(hook!.id);
    expect(receiver.received[1]!.rawBody).toBe(hook!.rawBody);

    // A rotation with no grace: only the new secret signs.
    const sharp = (await server.admin.data(`mutation($w: ID!) { rotateWebhookSecret(id: $w, graceHours: 0) { secret } }`, { w: webhook.id })).rotateWebhookSecret;
    await enqueue(await s.claimant());
    await waitFor('a third delivery', () => receiver.received.length === 3);
    expect(receiver.received[2]!.signatures).toHaveLength(1);
    expect(verifies(sharp.secret, receiver.received[2]!)).toBe(true);
    await server.admin.data(`mutation($w: ID!) { deleteWebhook(id: $w) { id } }`, { w: webhook.id });
  } finally {
    await receiver.close();
  }
}, 30_000);

describe('refusals, each changing nothing', () => {
  const count = async () => (await server.db.sql(`SELECT count(*)::int AS n FROM webhooks`))[0]!.n as number;
  let viewerKey: string;
  beforeAll(async () => {
    viewerKey = (await server.admin.data(`mutation { createApiKey(role: VIEWER, label: "dash") { key } }`)).createApiKey.key;
  });

  it.each([
    ['not a URL', 'not a url', 'BAD_USER_INPUT', /not a URL/],
    ['not http', 'ftp://example.com/hook', 'BAD_USER_INPUT', /http or https/],
    ['credentials in the URL', 'https://user:pw@example.com/hook', 'BAD_USER_INPUT', /credentials/],
  ])('a URL that is %s', async (_, url, code, message) => {
    const before = await count();
    const r = await server.admin.request(CREATE, { i: { url, eventTypes: ['ENTRY_ADDED'] } });
    expect(r.errors?.[0]?.extensions?.code).toBe(code);
    expect(r.errors?.[0]?.message).toMatch(message);
    expect(await count()).toBe(before);
  });

  it('a loopback or private URL unless WEBHOOK_ALLOW_PRIVATE=true', async () => {
    const strict = await server.startAnother({ WEBHOOK_ALLOW_PRIVATE: 'false' });
    const admin = new (server.admin.constructor as any)(strict.url, server.admin.key);
    const before = await count();
    for (const url of ['http://127.0.0.1:9/hook', 'http://10.1.2.3/hook', 'http://[::1]/hook', 'http://192.168.0.10/x', 'http://169.254.169.254/latest', 'http://localhost:8080/hook']) {
      const r = await admin.request(CREATE, { i: { url, eventTypes: ['ENTRY_ADDED'] } });
      expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0]?.message).toMatch(/private or loopback/);
    }
    expect(await count()).toBe(before);
  });

  it('an unknown event type, no event type, a long description, an out-of-range grace', async () => {
    const before = await count();
    expect(await server.admin.errorCode(CREATE, { i: { url: 'https://example.com/h', eventTypes: ['NOPE'] } })).toBe('BAD_USER_INPUT');
    expect(await server.admin.errorCode(CREATE, { i: { url: 'https://example.com/h', eventTypes: [] } })).toBe('BAD_USER_INPUT');
    expect(await server.admin.errorCode(CREATE, { i: { url: 'https://example.com/h', eventTypes: ['ENTRY_ADDED'], description: 'x'.repeat(501) } })).toBe('BAD_USER_INPUT');
    const { webhook } = await create('http://127.0.0.1:9/never');
    const rotate = `mutation($w: ID!, $g: Int) { rotateWebhookSecret(id: $w, graceHours: $g) { secret } }`;
    const sealed = async () => (await server.db.sql(`SELECT secret_sealed FROM webhooks WHERE id = $1`, [webhook.id]))[0]!.secret_sealed;
    const secretBefore = await sealed();
    expect(await server.admin.errorCode(rotate, { w: webhook.id, g: 169 })).toBe('BAD_USER_INPUT');
    expect(await server.admin.errorCode(rotate, { w: webhook.id, g: -1 })).toBe('BAD_USER_INPUT');
    expect(await sealed()).toBe(secretBefore);
    expect(await server.admin.errorCode(`mutation($w: ID!) { updateWebhook(id: $w, input: { eventTypes: [] }) { id } }`, { w: webhook.id })).toBe('BAD_USER_INPUT');
    expect(await count()).toBe(before + 1);
    await server.admin.data(`mutation($w: ID!) { deleteWebhook(id: $w) { id } }`, { w: webhook.id });
  });

  it('a key that is not ADMIN', async () => {
    const viewer = server.client(viewerKey);
    const before = await count();
    expect(await viewer.errorCode(CREATE, { i: { url: 'https://example.com/h', eventTypes: ['ENTRY_ADDED'] } })).toBe('FORBIDDEN');
    expect(await viewer.errorCode(`{ webhooks { id } }`)).toBe('FORBIDDEN');
    expect(await viewer.errorCode(`{ webhookDeliveries(webhookId: 1) { nodes { id } } }`)).toBe('FORBIDDEN');
    expect(await viewer.errorCode(`mutation { deleteWebhook(id: 1) { id } }`)).toBe('FORBIDDEN');
    expect(await count()).toBe(before);
  });

  it('an unknown webhook or event, a malformed id or cursor', async () => {
    expect(await server.admin.errorCode(`mutation { updateWebhook(id: 999999, input: { enabled: false }) { id } }`)).toBe('NOT_FOUND');
    expect(await server.admin.errorCode(`mutation { deleteWebhook(id: 999999) { id } }`)).toBe('NOT_FOUND');
    expect(await server.admin.errorCode(`mutation { rotateWebhookSecret(id: 999999) { secret } }`)).toBe('NOT_FOUND');
    expect(await server.admin.errorCode(`mutation { redeliverEvent(webhookId: 999999, eventId: 1) { id } }`)).toBe('NOT_FOUND');
    expect(await server.admin.errorCode(`{ webhookDeliveries(webhookId: 999999) { nodes { id } } }`)).toBe('NOT_FOUND');
    expect(await server.admin.errorCode(`mutation { deleteWebhook(id: "abc") { id } }`)).toBe('BAD_USER_INPUT');
    const { webhook } = await create('http://127.0.0.1:9/never');
    expect(await server.admin.errorCode(`mutation($w: ID!) { redeliverEvent(webhookId: $w, eventId: 999999999) { id } }`, { w: webhook.id })).toBe('NOT_FOUND');
    expect(await server.admin.errorCode(`query($w: ID!) { webhookDeliveries(webhookId: $w, after: "garbage!") { nodes { id } } }`, { w: webhook.id })).toBe('BAD_USER_INPUT');
    expect((await server.db.sql(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1`, [webhook.id]))[0]!.n).toBe(0);
    await server.admin.data(`mutation($w: ID!) { deleteWebhook(id: $w) { id } }`, { w: webhook.id });
  });

  it('never shows a secret again, and stores it sealed', async () => {
    const { secret, webhook } = await create('http://127.0.0.1:9/never');
    const [row] = await server.db.sql(`SELECT secret_sealed FROM webhooks WHERE id = $1`, [webhook.id]);
    expect(row!.secret_sealed).not.toContain(secret.slice(6, 20));
    expect(JSON.stringify(await server.admin.data(`{ webhooks { id url description eventTypes } }`))).not.toContain(secret.slice(6, 20));
    await server.admin.data(`mutation($w: ID!) { deleteWebhook(id: $w) { id } }`, { w: webhook.id });
  });
});
