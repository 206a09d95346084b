import { Writable } from 'node:stream';
import { createApp, type App } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { GraphQLClient } from '../support/client.js';
import { testConfig, TEST_ADMIN_KEY } from '../support/server.js';

/** Nothing personal in the logs: names and phone numbers never reach a line, errors included. */
let lines: string[] = [];
const sink = new Writable({ write(chunk, _, done) { lines.push(String(chunk)); done(); } });
let db: TestDatabase;
let app: App;
let admin: GraphQLClient;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await createApp({ config: testConfig({ LOG_LEVEL: 'trace' }), databaseUrl: db.url, logger: createLogger('trace', sink) });
  admin = new GraphQLClient(app.url, TEST_ADMIN_KEY);
});
afterAll(async () => {
  await app.close();
  await db.drop();
});

const PHONE = '+1 555 321 9876';

it('writes, reads, refusals and erasure leave no name or phone in the log', async () => {
  lines = [];
  const upsert = `mutation($p: String) { upsertClaimant(input: { userId: 4242, claimId: "C-4242", firstName: "Katherine", lastName: "Johnson", phone: $p }) { userId } }`;
  await admin.data(upsert, { p: PHONE });
  await admin.data(`{ claimant(userId: 4242) { firstName lastName phone } }`);
  // Refused inputs (error paths), then the erasure and a refused write after it.
  expect(await admin.errorCode(upsert, { p: `${PHONE} ext. Katherine` })).toBe('BAD_USER_INPUT');
  await admin.data(`mutation { eraseClaimant(userId: 4242, reason: "asked") { userId } }`);
  expect(await admin.errorCode(upsert, { p: PHONE })).toBe('CONFLICT');
  await new Promise((r) => setTimeout(r, 100));
  const text = lines.join('');
  expect(lines.length).toBeGreaterThan(3); // trace level: every request is logged
  expect(text).not.toContain('321 9876');
  expect(text).not.toContain('Katherine');
  expect(text).not.toContain('Johnson');
});

it('redacts what database errors carry of the row and the statement', () => {
  lines = [];
  const logger = createLogger('info', sink);
  const error = Object.assign(new Error('new row violates check constraint'), {
    detail: `Failing row contains (4242, C-4242, Katherine, Johnson, ${PHONE}).`,
    query: `insert into "claimants" ("first_name", "phone") values ('Katherine', '${PHONE}')`,
    parameters: ['Katherine', PHONE],
  });
  logger.error({ err: error, input: { firstName: 'Katherine', phone: PHONE }, claimant: { phone: PHONE } }, 'unexpected error');
  logger.error({ err: { message: 'wrapped', cause: { detail: `(${PHONE})` } } }, 'wrapped error');
  const text = lines.join('');
  expect(text).toContain('unexpected error');
  expect(text).toContain('[redacted]');
  expect(text).not.toContain('321 9876');
  expect(text).not.toContain('Katherine');
});
