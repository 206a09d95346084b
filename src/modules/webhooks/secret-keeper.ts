import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { SecretBox } from './secret-box.js';
import { storedSecretsKey } from './webhooks.sql.js';

/**
 * Where the key sealing webhook secrets comes from. In production WEBHOOK_SECRETS_KEY (the same
 * on every instance), so a copy of the database alone cannot sign webhooks. Without it (a
 * development start) a key is created in the database once and shared by every instance; the
 * service warns at start that this protects nothing against a database copy.
 */
export class SecretKeeper {
  private opened: Promise<SecretBox> | null;

  constructor(private readonly configuredKey: Buffer | null) {
    this.opened = configuredKey ? Promise.resolve(new SecretBox(configuredKey)) : null;
  }

  /** Whether WEBHOOK_SECRETS_KEY is set. */
  get configured(): boolean {
    return this.configuredKey !== null;
  }

  box(em: EntityManager): Promise<SecretBox> {
    this.opened ??= storedSecretsKey(em, randomBytes(32).toString('base64'))
      .then((key) => new SecretBox(Buffer.from(key, 'base64')))
      .catch((error: unknown) => {
        this.opened = null;
        throw error;
      });
    return this.opened;
  }
}
