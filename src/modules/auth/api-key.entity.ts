import { EntitySchema } from '@mikro-orm/core';
import { bigintCol, bigintId, int, text, time } from '../../db/columns.js';
import type { Role } from './roles.js';

/** An API key, stored as a SHA-256 hash; the key itself is shown once, at creation. */
export interface ApiKey {
  id: number;
  keyHash: string;
  keyPrefix: string;
  role: Role;
  agentId: number | null;
  label: string | null;
  createdAt: Date;
  revokedAt: Date | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  rotatedFrom: number | null;
}

export const ApiKeySchema = new EntitySchema<ApiKey>({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: {
    id: bigintId(),
    keyHash: text(),
    keyPrefix: text(),
    role: text(),
    agentId: int({ nullable: true }),
    label: text({ nullable: true }),
    createdAt: time({ onCreate: () => new Date() }),
    revokedAt: time({ nullable: true }),
    expiresAt: time({ nullable: true }),
    lastUsedAt: time({ nullable: true }),
    rotatedFrom: bigintCol({ nullable: true }),
  } as never,
});
