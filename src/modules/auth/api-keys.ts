import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AgentSchema } from '../agent/agent.entity.js';
import { badInput, conflict, notFound, requireReason } from '../errors.js';
import { ApiKeySchema } from './api-key.entity.js';
import {
  apiKeyByHash, expireNoLaterThan, insertApiKey, lockApiKey, lockFirstAdminKey, lockUsableAdminKeys, markRevoked, recordKeyEvent,
  touchApiKey, type ApiKeyRecord,
} from './api-keys.sql.js';
import type { Role } from './roles.js';

export { listApiKeys, listKeyEvents, type ApiKeyEvent, type ApiKeyRecord } from './api-keys.sql.js';

/** Who is calling, as the presented key says. */
export interface Caller {
  role: Role;
  agentId: number | null;
  /** `env` for the ADMIN_API_KEY of the environment, else the api_keys row id. */
  keyId: number | 'env';
  /** When the key stops being accepted (ms since the epoch); null or absent: never. */
  expiresAt?: number | null;
  /** Reads claimants' personal data unmasked (see graphql/personal-data.ts); ADMIN always does. */
  personalData?: boolean;
}

export interface CreatedKey extends ApiKeyRecord {
  /** The secret: shown once, here. */
  key: string;
  prefix: string;
}

const KEY_PREFIX = 'cq_';
/** A rotated key stays valid this long at most (a week). */
export const MAX_GRACE_MINUTES = 7 * 24 * 60;

/** Keys carry 192 random bits, so a plain SHA-256 is a safe stored form (no need to stretch). */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function generateKey(): string {
  return KEY_PREFIX + randomBytes(24).toString('base64url');
}

/** How the audit names a caller: the key's id, or the environment's key. */
export function actorOf(caller: Caller | null): string {
  if (!caller) return 'system';
  return caller.keyId === 'env' ? 'ADMIN_API_KEY' : `key ${caller.keyId}`;
}

interface NewKey {
  role: Role;
  agentId?: number | null;
  label?: string | null;
  expiresAt?: Date | null;
  personalData?: boolean;
}

/** Checks a new key's fields (BAD_USER_INPUT / NOT_FOUND) before anything is written. */
async function checkNewKey(em: EntityManager, input: NewKey): Promise<void> {
  const agentId = input.agentId ?? null;
  if (input.role === 'AGENT' && agentId === null) throw badInput('an AGENT key needs agentId, the agent it acts for');
  if (input.role !== 'AGENT' && agentId !== null) throw badInput(`a ${input.role} key cannot name an agent; only AGENT keys do`);
  if (input.personalData && input.role !== 'INTEGRATOR' && input.role !== 'VIEWER') {
    throw badInput(input.role === 'ADMIN'
      ? 'personalData is for INTEGRATOR and VIEWER keys: ADMIN keys always read personal data'
      : 'personalData is for INTEGRATOR and VIEWER keys: an AGENT key reads the personal data of the claimants it holds', { field: 'personalData' });
  }
  if (input.label != null && (input.label.trim().length === 0 || input.label.length > 200)) throw badInput('label must be 1–200 characters');
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
    throw badInput(`expiresAt must be in the future; ${input.expiresAt.toISOString()} has passed`, { field: 'expiresAt' });
  }
  if (agentId !== null && !(await em.findOne(AgentSchema, { id: agentId }))) throw notFound(`agent ${agentId} does not exist`);
}

async function insertKey(em: EntityManager, input: NewKey, rotatedFrom: number | null): Promise<CreatedKey> {
  const key = generateKey();
  const record = await insertApiKey(em, {
    hash: hashKey(key), prefix: key.slice(0, 8), role: input.role, agentId: input.agentId ?? null,
    label: input.label?.trim() ?? null, expiresAt: input.expiresAt ?? null, rotatedFrom, personalData: input.personalData ?? false,
  });
  return { ...record, key, prefix: record.keyPrefix };
}

/** createApiKey: a new key, audited. */
export async function createApiKey(em: EntityManager, input: NewKey, actor: string): Promise<CreatedKey> {
  await checkNewKey(em, input);
  return em.transactional(async (tx) => {
    const created = await insertKey(tx, input, null);
    await recordKeyEvent(tx, created.id, 'created', actor, null);
    return created;
  });
}

/** A key by id, locked, that is still usable: NOT_FOUND or CONFLICT otherwise. */
async function usableKey(em: EntityManager, id: number): Promise<ApiKeyRecord> {
  const key = await lockApiKey(em, id);
  if (!key) throw notFound(`API key ${id} does not exist`);
  if (key.revokedAt) throw conflict(`API key ${id} was revoked on ${key.revokedAt.toISOString()}`);
  if (key.expiresAt && key.expiresAt.getTime() <= Date.now()) throw conflict(`API key ${id} expired on ${key.expiresAt.toISOString()}`);
  return key;
}

/**
 * revokeApiKey: refused for the last usable ADMIN key unless ADMIN_API_KEY is set (nobody could
 * administer the service any more). Every instance drops the key at once (the database
 * announces the change) and closes its WebSockets.
 */
export async function revokeApiKey(em: EntityManager, id: number, reason: string | null, actor: string, envAdminKeySet: boolean): Promise<ApiKeyRecord> {
  const why = reason == null ? null : requireReason(reason, 'reason');
  return em.transactional(async (tx) => {
    const admins = await lockUsableAdminKeys(tx);
    const key = await usableKey(tx, id);
    if (key.role === 'ADMIN' && !envAdminKeySet && admins.filter((a) => a !== id).length === 0) {
      throw conflict(`API key ${id} is the last usable ADMIN key: create another ADMIN key first (or set ADMIN_API_KEY), then revoke this one`);
    }
    const revoked = await markRevoked(tx, id);
    await recordKeyEvent(tx, id, 'revoked', actor, why);
    return revoked;
  });
}

/**
 * rotateApiKey: a new key with the same role, agent and label; the old one stays valid for
 * `graceMinutes` (0–10,080), so clients can switch without a gap.
 */
export async function rotateApiKey(em: EntityManager, id: number, graceMinutes: number, actor: string): Promise<CreatedKey> {
  if (!Number.isInteger(graceMinutes) || graceMinutes < 0 || graceMinutes > MAX_GRACE_MINUTES) {
    throw badInput(`graceMinutes must be a whole number from 0 to ${MAX_GRACE_MINUTES} (a week), got ${graceMinutes}`, { field: 'graceMinutes' });
  }
  return em.transactional(async (tx) => {
    const old = await usableKey(tx, id);
    const created = await insertKey(tx, { role: old.role, agentId: old.agentId, label: old.label, expiresAt: old.expiresAt, personalData: old.personalData }, id);
    // A grace of 0 ends the old key now: a second later than the clock, so "now" already refuses it.
    await expireNoLaterThan(tx, id, new Date(Date.now() + graceMinutes * 60_000));
    await recordKeyEvent(tx, id, 'rotated', actor, `replaced by key ${created.id}; valid ${graceMinutes} more minutes`);
    await recordKeyEvent(tx, created.id, 'created', actor, `rotation of key ${id}`);
    return created;
  });
}

export async function countApiKeys(em: EntityManager): Promise<number> {
  return em.count(ApiKeySchema, {});
}

/** First start: with no key at all, create one ADMIN key and hand it to `announce` (shown once). */
export async function ensureFirstAdminKey(em: EntityManager, announce?: (key: string) => void): Promise<void> {
  await em.transactional(async (tx) => {
    await lockFirstAdminKey(tx);
    if ((await countApiKeys(tx)) > 0) return;
    const created = await insertKey(tx, { role: 'ADMIN', label: 'created at first start' }, null);
    await recordKeyEvent(tx, created.id, 'created', 'first start', null);
    announce?.(created.key);
  });
}

interface Cached {
  caller: Caller;
  /** The key's expiry: a cached key is refused from then on, without a read. */
  expiresAt: number;
  until: number;
  touchedAt: number;
}

/**
 * Resolves a presented key to its caller, or null when it is unknown, revoked or expired.
 * Remembers look-ups for `cacheMs` so hot paths (claims) do not read api_keys every time; a
 * revocation does not wait for that: the database announces it (`forget`) and every instance
 * drops the key at once, and an expiry is checked on every use. `last_used_at` is written at
 * most once a minute per key and instance, after the request, never on its path.
 */
export class ApiKeyResolver {
  private readonly cache = new Map<string, Cached>();
  private readonly envKeyHash: Buffer | null;

  constructor(envAdminKey: string | undefined, private readonly cacheMs: number, private readonly onTouch?: (keyId: number) => void) {
    this.envKeyHash = envAdminKey ? Buffer.from(hashKey(envAdminKey), 'hex') : null;
  }

  async resolve(em: EntityManager, key: string): Promise<Caller | null> {
    const hash = hashKey(key);
    if (this.envKeyHash && timingSafeEqual(this.envKeyHash, Buffer.from(hash, 'hex'))) {
      return { role: 'ADMIN', agentId: null, keyId: 'env' };
    }
    const now = Date.now();
    let entry = this.cache.get(hash);
    if (!entry || entry.until <= now) {
      const row = await apiKeyByHash(em, hash);
      if (!row) {
        this.cache.delete(hash);
        return null;
      }
      entry = {
        caller: {
          role: row.role, agentId: row.agent_id, keyId: Number(row.id), expiresAt: row.expires_at ? Date.parse(row.expires_at) : null,
          personalData: row.personal_data,
        },
        expiresAt: row.expires_at ? Date.parse(row.expires_at) : Infinity, until: now + this.cacheMs, touchedAt: entry?.touchedAt ?? 0,
      };
      if (this.cacheMs > 0) {
        if (this.cache.size > 10_000) this.cache.clear();
        this.cache.set(hash, entry);
      }
    }
    if (entry.expiresAt <= now) return null;
    if (now - entry.touchedAt >= 60_000) {
      entry.touchedAt = now;
      this.onTouch?.(entry.caller.keyId as number);
    }
    return entry.caller;
  }

  /** A key changed (revoked, expiry moved): the next use reads it again. */
  forget(keyId: number): void {
    for (const [hash, entry] of this.cache) if (entry.caller.keyId === keyId) this.cache.delete(hash);
  }

  /** Changes may have been missed (the LISTEN connection was down): read every key again. */
  forgetAll(): void {
    this.cache.clear();
  }
}

/** Writes last_used_at for a key, off the request's path; a failure only costs the figure. */
export function touchKeyLater(em: () => EntityManager, onError: (error: unknown) => void) {
  return (keyId: number) => {
    setImmediate(() => { touchApiKey(em(), keyId).catch(onError); });
  };
}
