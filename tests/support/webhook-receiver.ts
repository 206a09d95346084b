import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as a webhook receiver got it. */
export interface ReceivedHook {
  id: string;
  timestamp: string;
  signatures: string[];
  rawBody: string;
  body: { type: string; timestamp: string; data: Record<string, string> };
  answered: number;
  at: number;
}

/**
 * A real HTTP endpoint for webhook tests: records every request and answers what `answer` says
 * (a status, optionally with headers).
 */
export async function startReceiver(answer: (hook: ReceivedHook) => number | { status: number; headers?: Record<string, string> } = () => 200) {
  const received: ReceivedHook[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const hook: ReceivedHook = {
        id: String(req.headers['webhook-id']), timestamp: String(req.headers['webhook-timestamp']),
        signatures: String(req.headers['webhook-signature'] ?? '').split(' ').filter(Boolean),
        rawBody, body: JSON.parse(rawBody), answered: 0, at: Date.now(),
      };
      const a = answer(hook);
      const { status, headers } = typeof a === 'number' ? { status: a, headers: {} } : a;
      hook.answered = status;
      received.push(hook);
      res.writeHead(status, headers ?? {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/**
 * The Standard Webhooks verification, written from the specification (not the service's code):
 * HMAC-SHA256 keyed by the base64 bytes after `whsec_`, over `id.timestamp.body`; a request is
 * genuine when any of its `v1,` signatures matches.
 */
export function verifies(secret: string, hook: ReceivedHook): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${hook.id}.${hook.timestamp}.${hook.rawBody}`).digest();
  return hook.signatures.some((s) => {
    const [version, value] = s.split(',');
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}
