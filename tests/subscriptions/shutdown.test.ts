import { startTestServer, type TestServer } from '../support/server.js';
import { connect, untilSubscribed } from '../support/subscriber.js';
import { TEST_ADMIN_KEY } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

it('closing the server (SIGTERM) closes subscriptions with 1001 Going Away', async () => {
  const subscriber = connect(server.app.url, TEST_ADMIN_KEY);
  subscriber.subscribe(`subscription { queueChanged { kind } }`);
  await untilSubscribed(() => server.app.liveSubscriptions(), 1);
  await server.app.close();
  expect((await subscriber.closed).code).toBe(1001);
  expect(server.app.liveSubscriptions()).toBe(0);
  await subscriber.dispose();
});
