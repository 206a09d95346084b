import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase } from '../support/database.js';
import { GraphQLClient } from '../support/client.js';
import { testConfig } from '../support/server.js';

/** Without ADMIN_API_KEY, the first start creates one ADMIN key and shows it once. */
it('creates and announces an ADMIN key on the first start only, and that key works', async () => {
  const db = await createTestDatabase();
  const logger = createLogger('silent');
  const config = { ...testConfig(), ADMIN_API_KEY: undefined };
  const announced: string[] = [];
  try {
    const first = await createApp({ config, databaseUrl: db.url, logger, announceAdminKey: (k) => announced.push(k) });
    const data = await new GraphQLClient(first.url, announced[0]!).data('{ viewer { role } }');
    expect(data.viewer.role).toBe('ADMIN');
    await first.close();
    const second = await createApp({ config, databaseUrl: db.url, logger, announceAdminKey: (k) => announced.push(k) });
    await second.close();
    expect(announced).toHaveLength(1);
    expect((await db.sql(`SELECT role FROM api_keys`)).map((r) => r.role)).toEqual(['ADMIN']);
  } finally {
    await db.drop();
  }
});
