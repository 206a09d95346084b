import { lookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as lookupCallback } from 'node:dns';
import { badInput } from '../errors.js';

/**
 * Where webhooks may post. Loopback, private, link-local, shared and reserved ranges are refused
 * unless WEBHOOK_ALLOW_PRIVATE=true: a webhook must not become a way into the service's own
 * network (SSRF). Checked when a URL is saved and again on every connection, against the
 * address the name resolves to then (a name that later resolves inward is refused too).
 */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? PRIVATE.check(mapped[1]!, 'ipv4') : PRIVATE.check(address, 'ipv6');
}

/** A webhook URL as saved: http(s), no credentials, at most 2,000 characters, not private unless allowed. */
export async function checkWebhookUrl(text: string, allowPrivate: boolean): Promise<string> {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw badInput(`url is not a URL: "${text.slice(0, 100)}"`, { field: 'url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badInput(`url must be http or https, not ${url.protocol}`, { field: 'url' });
  if (url.username || url.password) throw badInput('url must not carry credentials: the signature authenticates each request', { field: 'url' });
  if (url.href.length > 2000) throw badInput('url must be at most 2,000 characters', { field: 'url' });
  if (!allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host) ? [host] : await resolveAll(host);
    const inward = addresses.find(isPrivateAddress);
    if (inward) {
      throw badInput(`url points to a private or loopback address (${inward}); allowed only with WEBHOOK_ALLOW_PRIVATE=true`, { field: 'url' });
    }
  }
  return url.href;
}

async function resolveAll(host: string): Promise<string[]> {
  try {
    return (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    throw badInput(`url's host "${host}" does not resolve`, { field: 'url' });
  }
}

/** A DNS lookup for outgoing requests that refuses private addresses (the connection check). */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  lookupCallback(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    const list = addresses as unknown as { address: string; family: number }[];
    const inward = list.find((a) => isPrivateAddress(a.address));
    if (inward) return callback(Object.assign(new Error(`address ${inward.address} is private (WEBHOOK_ALLOW_PRIVATE is off)`), { code: 'EPRIVATE' }), '', 0);
    if (options.all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
    return callback(null, list[0]!.address, list[0]!.family);
  });
};
