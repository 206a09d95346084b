import { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { createOrm } from '../../src/db/orm.js';
import { EVENT_CHANNEL, pgNotifyPublisher } from '../../src/modules/events/events.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** The event seam: what a service publishes in its transaction is seen only if it commits. */
let db: TestDatabase;
let orm: MikroORM;
let listener: pg.Client;
const received: any[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  orm = await createOrm({ url: db.url, poolSize: 2 });
  listener = await db.connect();
  listener.on('notification', (n) => received.push(JSON.parse(n.payload!)));
  await listener.query(`LISTEN ${EVENT_CHANNEL}`);
});
afterAll(async () => {
  await listener.end();
  await orm.close(true);
  await db.drop();
});

async function settle() {
  await listener.query('SELECT 1');
}

it('delivers an event published inside a committed transaction, after the commit', async () => {
  await orm.em.fork().transactional(async (em) => {
    await pgNotifyPublisher.publish(em, { topic: 'queueChanged', kind: 'ENTRY_ADDED', queueType: 'unsigned_users', userId: 7, entryId: 70 });
    await settle();
    expect(received).toHaveLength(0);
  });
  await settle();
  expect(received).toEqual([expect.objectContaining({ topic: 'queueChanged', kind: 'ENTRY_ADDED', userId: 7, entryId: 70 })]);
});

it('delivers nothing for a rolled-back transaction', async () => {
  received.length = 0;
  await expect(orm.em.fork().transactional(async (em) => {
    await pgNotifyPublisher.publish(em, { topic: 'conversionRecorded', conversionId: 1 });
    throw new Error('rolled back');
  })).rejects.toThrow('rolled back');
  await settle();
  expect(received).toEqual([]);
});
