import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A fresh database cloned from the migrated template, with a raw client for assertions. */
export interface TestDatabase {
  name: string;
  url: string;
  /** A raw connection: what an operator with psql would do. */
  sql<T extends pg.QueryResultRow = Record<string, any>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Another raw connection, for tests that need two sessions at once. */
  connect(): Promise<pg.Client>;
  drop(): Promise<void>;
}

function urlFor(database: string): string {
  const url = new URL(process.env.CALLQUEUE_TEST_ADMIN_URL!);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: process.env.CALLQUEUE_TEST_ADMIN_URL });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

export async function createTestDatabase(options: { template?: string | null } = {}): Promise<TestDatabase> {
  const name = `cq_test_${randomBytes(5).toString('hex')}`;
  const template = options.template === undefined ? process.env.CALLQUEUE_TEST_TEMPLATE : options.template;
  await withAdmin((admin) => admin.query(template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`));
  const url = urlFor(name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    name,
    url,
    sql: async (text, params) => (await client.query(text, params as unknown[])).rows,
    connect: async () => {
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      return other;
    },
    drop: async () => {
      await client.end();
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
