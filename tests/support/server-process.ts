import net from 'node:net';

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * `npm start`'s entry point in a child process over an existing database — for benchmarks
 * (servers apart from the load) and for tests that kill a server mid-work. Resolves once
 * /readyz answers.
 */
export async function startServerProcess(
  databaseUrl: string, env: Record<string, string>, args: string[] = [],
  runtime: { node: string; entry: string } = { node: process.execPath, entry: 'dist/src/main.js' },
): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const { spawn } = await import('node:child_process');
  const port = await freePort();
  // BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the servers.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // What `npm start` runs: the compiled service (npm test and npm run bench build it first).
  const child = spawn(runtime.node, [...nodeArgs, runtime.entry, ...args], {
    // Benchmarks drive one key as hard as they can: the per-key limits are off unless a caller sets them.
    env: { ...process.env, RATE_LIMIT_PER_MINUTE: '0', MAX_WS_CONNECTIONS_PER_KEY: '100000', ...env, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let stopping = false;
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`server process exited unexpectedly (code ${code}, signal ${signal})\n`);
    resolve();
  }));
  for (let i = 0; ; i += 1) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 300 || child.exitCode !== null) throw new Error('the server process did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    pid: child.pid!,
    stop: async () => {
      stopping = true;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
