import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** The lines job: a line held past the maximum duration is freed; an expired request is not dispatched. */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    MAX_CONCURRENT_CALLS: '1', LINES_JOB_CRON: '* * * * * *', CALL_MAX_DURATION_SECONDS: '2', CALL_REQUEST_MAX_WAIT_SECONDS: '1',
    CALLING_WINDOW_START: '00:00', CALLING_WINDOW_END: '23:59',
  });
});
afterAll(() => server.close());

const initiate = (userId: number, agentId: number) => server.admin.data(`mutation($i: InitiateCallInput!) { initiateCall(input: $i) {
  status session { id } request { id } } }`, { i: { userId: String(userId), agentId: String(agentId), callType: 'DIRECT' } });

it('reaps a session held too long and expires the request that waited too long instead of starting it', async () => {
  const s = seed(server.db);
  const agent = await s.agent();
  const held = (await initiate(await s.claimant(), agent)).initiateCall;
  expect(held.status).toBe('STARTED');
  const waiting = (await initiate(await s.claimant(), agent)).initiateCall;
  expect(waiting.status).toBe('QUEUED');

  const deadline = Date.now() + 8000;
  for (;;) {
    const [line] = await server.db.sql(`SELECT active FROM call_lines`);
    const [session] = await server.db.sql(`SELECT status, outcome FROM call_sessions WHERE id = $1`, [held.session.id]);
    if (line!.active === 0 && session!.status === 'failed') break;
    if (Date.now() > deadline) throw new Error(`not reaped: ${JSON.stringify({ line, session })}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const request = (await server.admin.data(`query($id: ID!) { callRequest(id: $id) { status position session { id } } }`, { id: waiting.request.id })).callRequest;
  expect(request).toEqual({ status: 'EXPIRED', position: null, session: null });
  const [sessions] = await server.db.sql(`SELECT count(*)::int AS n FROM call_sessions WHERE status = 'active'`);
  expect(sessions!.n).toBe(0);
  // The freed line is usable at once.
  expect((await initiate(await s.claimant(), agent)).initiateCall.status).toBe('STARTED');
});
