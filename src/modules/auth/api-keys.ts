import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AgentSchema } from '../agent/agent.entity.js';
import { badInput, notFound } from '../errors.js';
import { ApiKeySchema } from './api-key.entity.js';
import { apiKeyByHash, lockFirstAdminKey } from './api-keys.sql.js';
import type { Role } from './roles.js';

/** Who is calling, as the presented key says. */
export interface Caller {
  role: Role;
  agentId: number | null;
  /** `env` for the ADMIN_API_KEY of the environment, else the api_keys row id. */
  keyId: number | 'env';
}

export interface CreatedKey {
  id: number;
  key: string;
  role: Role;
  agentId: number | null;
  prefix: string;
}

const KEY_PREFIX = 'cq_';

/** Keys carry 192 random bits, so a plain SHA-256 is a safe stored form (no need to stretch). */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function generateKey(): string {
  return KEY_PREFIX + randomBytes(24).toString('base64url');
}

export async function createApiKey(
  em: EntityManager, input: { role: Role; agentId?: number | null; label?: string | null },
): Promise<CreatedKey> {
  const agentId = input.agentId ?? null;
  if (input.role === 'AGENT' && agentId === null) throw badInput('an AGENT key needs agentId, the agent it acts for');
  if (input.role !== 'AGENT' && agentId !== null) throw badInput(`a ${input.role} key cannot name an agent; only AGENT keys do`);
  if (agentId !== null && !(await em.findOne(AgentSchema, { id: agentId }))) {
    throw notFound(`agent ${agentId} does not exist`);
  }
  const key = generateKey();
  const record = em.create(ApiKeySchema, {
    keyHash: hashKey(key), keyPrefix: key.slice(0, 8), role: input.role, agentId, label: input.label ?? null,
  } as never);
  await em.persistAndFlush(record);
  return { id: record.id, key, role: input.role, agentId, prefix: record.keyPrefix };
}

export async function countApiKeys(em: EntityManager): Promise<number> {
  return em.count(ApiKeySchema, {});
}

/** First start: with no key at all, create one ADMIN key and hand it to `announce` (shown once). */
export async function ensureFirstAdminKey(em: EntityManager, announce?: (key: string) => void): Promise<void> {
  await em.transactional(async (tx) => {
    await lockFirstAdminKey(tx);
    if ((await countApiKeys(tx)) > 0) return;
    const created = await createApiKey(tx, { role: 'ADMIN', label: 'created at first start' });
    announce?.(created.key);
  });
}

/**
 * Resolves a presented key to its caller, or null when it is unknown or revoked. Remembers
 * successful look-ups for `cacheMs` so hot paths (claims) do not read api_keys every time; a
 * revocation therefore takes effect within that time.
 */
export class ApiKeyResolver {
  private readonly cache = new Map<string, { caller: Caller; until: number }>();
  private readonly envKeyHash: Buffer | null;

  constructor(envAdminKey: string | undefined, private readonly cacheMs: number) {
    this.envKeyHash = envAdminKey ? Buffer.from(hashKey(envAdminKey), 'hex') : null;
  }

  async resolve(em: EntityManager, key: string): Promise<Caller | null> {
    const hash = hashKey(key);
    if (this.envKeyHash && timingSafeEqual(this.envKeyHash, Buffer.from(hash, 'hex'))) {
      return { role: 'ADMIN', agentId: null, keyId: 'env' };
    }
    const cached = this.cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.caller;
    const row = await apiKeyByHash(em, hash);
    if (!row) return null;
    const caller: Caller = { role: row.role, agentId: row.agent_id, keyId: row.id };
    if (this.cacheMs > 0) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, { caller, until: Date.now() + this.cacheMs });
    }
    return caller;
  }
}
