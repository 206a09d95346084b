import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { isPrivateAddress, publicOnlyLookup } from './destination.js';

/** What an endpoint answered to one request (or why it did not). */
export interface SendResult {
  responseCode: number | null;
  retryAfter: string | undefined;
  durationMs: number;
  error: string | null;
}

/**
 * POSTs webhook requests over keep-alive connections (a busy endpoint is not reconnected per
 * event), each bounded by a timeout, redirects not followed. Without WEBHOOK_ALLOW_PRIVATE every
 * connection is checked against the address it resolves to at that moment.
 */
export class WebhookSender {
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
  };

  constructor(private readonly options: { timeoutMs: number; allowPrivate: boolean }) {}

  send(urlText: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    const started = performance.now();
    const took = () => Math.round(performance.now() - started);
    return new Promise((resolve) => {
      const url = new URL(urlText);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (!this.options.allowPrivate && isIP(host) && isPrivateAddress(host)) {
        resolve({ responseCode: null, retryAfter: undefined, durationMs: 0, error: `address ${host} is private (WEBHOOK_ALLOW_PRIVATE is off)` });
        return;
      }
      const transport = url.protocol === 'https:' ? https : http;
      const request = transport.request(url, {
        method: 'POST',
        agent: this.agents[url.protocol as 'http:' | 'https:'],
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'callqueue-webhooks/1' },
        timeout: this.options.timeoutMs,
        ...(this.options.allowPrivate ? {} : { lookup: publicOnlyLookup }),
      }, (response) => {
        response.resume(); // the body is not read: only the status counts
        response.on('end', () => resolve({
          responseCode: response.statusCode ?? null, retryAfter: response.headers['retry-after'], durationMs: took(), error: null,
        }));
        response.on('error', (error) => resolve({ responseCode: response.statusCode ?? null, retryAfter: undefined, durationMs: took(), error: error.message }));
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)));
      request.on('error', (error: NodeJS.ErrnoException) => resolve({
        responseCode: null, retryAfter: undefined, durationMs: took(), error: error.code && !error.message.includes(error.code) ? `${error.code}: ${error.message}` : error.message,
      }));
      request.end(body);
    });
  }

  close(): void {
    for (const agent of Object.values(this.agents)) agent.destroy();
  }
}
