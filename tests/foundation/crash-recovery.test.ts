import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../support/server-process.js';

/**
 * `npm start` after the service was killed without cleaning up (kill -9): the embedded
 * PostgreSQL it left running is found and stopped, the start goes on, the data is there, and
 * one postgres serves the folder. A port taken by another program stops the start with a
 * message that names it.
 */
const KEY = 'crash-test-admin-key-0123456789';
let dir: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callqueue-crash-'));
  fs.chmodSync(dir, 0o755);
});
afterAll(async () => {
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  for (const child of running) child.kill('SIGTERM');
  await Promise.all(running.map((c) => new Promise((r) => c.once('exit', r))));
  fs.rmSync(dir, { recursive: true, force: true });
});

function start(port: number, pgPort: number): { child: ChildProcess; output: () => string; ready: Promise<boolean> } {
  const child = spawn(process.execPath, ['dist/src/main.js'], {  // what npm start runs
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', EMBEDDED_PG_DIR: path.join(dir, 'pg'), EMBEDDED_PG_PORT: String(pgPort),
      ADMIN_API_KEY: KEY, LOG_LEVEL: 'info', DATABASE_URL: '', REPOPULATE_CRON: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let text = '';
  child.stdout!.on('data', (c) => { text += c; });
  child.stderr!.on('data', (c) => { text += c; });
  const ready = new Promise<boolean>((resolve) => {
    const check = setInterval(async () => {
      if (child.exitCode !== null) { clearInterval(check); resolve(false); return; }
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) { clearInterval(check); resolve(true); }
      } catch { /* not yet */ }
    }, 200);
  });
  return { child, output: () => text, ready };
}

/** Postmasters serving the folder (their command line names it; backends' do not). */
function postmasters(): number[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
      return cmd.includes('postgres') && cmd.includes(path.join(dir, 'pg'));
    } catch {
      return false;
    }
  }).map(Number);
}

const gql = (port: number, query: string) => fetch(`http://127.0.0.1:${port}/graphql`, {
  method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify({ query }),
}).then((r) => r.json() as Promise<any>);

it('starts again after a kill -9, with its data and one postgres; a taken port is named', async () => {
  const pgPort = await freePort();
  const port = await freePort();
  const first = start(port, pgPort);
  expect(await first.ready).toBe(true);
  const made = await gql(port, 'mutation { createApiKey(role: VIEWER, label: "made before the crash") { id } }');
  const keyId = made.data.createApiKey.id;
  expect(postmasters()).toHaveLength(1);

  first.child.kill('SIGKILL'); // no cleanup: the postgres it started keeps running
  await new Promise((resolve) => first.child.once('exit', resolve));
  expect(postmasters()).toHaveLength(1);

  const second = start(port, pgPort);
  expect(await second.ready).toBe(true);
  expect(second.output()).toMatch(/earlier run still running/);
  const keys = await gql(port, '{ apiKeys { id label } }');
  expect(keys.data.apiKeys).toEqual(expect.arrayContaining([{ id: keyId, label: 'made before the crash' }]));
  expect(postmasters()).toHaveLength(1);
  second.child.kill('SIGTERM');
  await new Promise((resolve) => second.child.once('exit', resolve));
  expect(postmasters()).toHaveLength(0);

  // A port another program holds: the start stops and says which setting to change.
  const blocker = net.createServer().listen(pgPort, '127.0.0.1');
  try {
    const third = start(await freePort(), pgPort);
    expect(await third.ready).toBe(false);
    expect(third.output()).toMatch(new RegExp(`Port ${pgPort} \\(EMBEDDED_PG_PORT\\) is in use by another program`));
    expect(third.output()).not.toMatch(/undefined/);
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
}, 120_000);

it('refuses a second start on a data folder whose first instance still runs, which keeps its database', async () => {
  const pgPort = await freePort();
  const port = await freePort();
  const first = start(port, pgPort);
  expect(await first.ready).toBe(true);
  const second = start(await freePort(), pgPort);
  expect(await second.ready).toBe(false);
  expect(second.output()).toMatch(new RegExp(`Another callqueue \\(pid ${first.child.pid}\\) is running on .* with its PostgreSQL`));
  // The first still has its database.
  expect((await gql(port, '{ apiKeys { id } }')).data.apiKeys.length).toBeGreaterThan(0);
  expect(postmasters()).toHaveLength(1);
  first.child.kill('SIGTERM');
  await new Promise((resolve) => first.child.once('exit', resolve));
  expect(postmasters()).toHaveLength(0);
}, 120_000);
