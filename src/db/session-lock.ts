import pg from 'pg';

/**
 * A Postgres session advisory lock held on a connection of its own, outside the pool (a pooled
 * connection could be handed to other work while holding it). Held until
 * `release()` or until the process dies: Postgres frees it with the connection, so a crashed
 * run never leaves it behind.
 */
export class SessionLock {
  private constructor(private readonly client: pg.Client, private readonly key: string) {}

  /** The lock, or null when another session holds it. */
  static async tryAcquire(databaseUrl: string, key: string, applicationName: string): Promise<SessionLock | null> {
    const client = new pg.Client({ connectionString: databaseUrl, application_name: applicationName });
    await client.connect();
    try {
      const locked = (await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [key])).rows[0].ok as boolean;
      if (locked) return new SessionLock(client, key);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    await client.end().catch(() => undefined);
    return null;
  }

  async release(): Promise<void> {
    await this.client.query('SELECT pg_advisory_unlock(hashtext($1))', [this.key]).catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}
