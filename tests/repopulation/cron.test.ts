import { seed } from '../support/seed.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** Three instances with the same every-second schedule on one database: one run per tick. */
let server: TestServer;

afterAll(() => server.close());

it('three instances run each tick once, never overlapping', async () => {
  const env = { REPOPULATE_CRON: '* * * * * *', QUEUE_TOP_N: '50' };
  server = await startTestServer(env);
  for (let i = 0; i < 20; i += 1) await seed(server.db).claimant({ score: i * 10 });
  const others = await Promise.all([server.startAnother(env), server.startAnother(env)]);
  const started = new Date();
  await new Promise((r) => setTimeout(r, 4200));
  await Promise.all([server.app, ...others].map((app) => app.close()));
  const stopped = new Date();

  const runs = await server.db.sql(`SELECT id, trigger, status, tick, started_at, finished_at, added
    FROM queue_population_runs WHERE tick BETWEEN $1 AND $2 ORDER BY started_at`, [started, stopped]);
  // Every tick of the window ran (one may fall at either edge), each once, and all succeeded.
  expect(runs.length).toBeGreaterThanOrEqual(3);
  expect(runs.length).toBeLessThanOrEqual(5);
  expect(new Set(runs.map((r) => r.tick.getTime())).size).toBe(runs.length);
  expect(runs.every((r) => r.trigger === 'cron' && r.status === 'succeeded')).toBe(true);
  for (let i = 1; i < runs.length; i += 1) {
    expect(runs[i]!.started_at.getTime()).toBeGreaterThanOrEqual(runs[i - 1]!.finished_at.getTime());
    expect(runs[i]!.tick.getTime() - runs[i - 1]!.tick.getTime()).toBe(1000);
  }
  // The first run filled the queue; the later ones found nothing to change.
  expect(runs.slice(1).every((r) => r.added === 0)).toBe(true);
  const [first] = await server.db.sql(`SELECT count(*)::int AS n FROM queue_transitions WHERE reason = 'repopulation'`);
  expect(first!.n).toBe(20);
});
