import { BlockList, isIP } from 'node:net';
import { webhooksErrors } from './webhooks-errors.js';

/**
 * Where webhooks may be sent (SSRF policy, docs/adr/0010-webhook-delivery.md). Unless private
 * targets are allowed, loopback, private, link-local, shared, multicast and reserved addresses
 * are refused: at configuration time for literal addresses and `localhost`, and at connection
 * time for every address a host name resolves to (so DNS cannot be used to get around it).
 */
export const MAX_URL_LENGTH = 2048;

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  // IPv4-mapped addresses (::ffff:a.b.c.d) are matched against the IPv4 rules by BlockList
  // itself; NAT64 addresses are unwrapped in isPrivateAddress.
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** True for an address no webhook may reach unless private targets are allowed. */
export const isPrivateAddress = (address: string): boolean => {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 6 && nat64.check(address, 'ipv6')) return isPrivateAddress(embeddedIpv4(address));
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
};

/** The well-known NAT64 prefix (RFC 6052): the last 32 bits are an IPv4 address. */
const nat64 = new BlockList();
nat64.addSubnet('64:ff9b::', 96, 'ipv6');

const embeddedIpv4 = (address: string): string => {
  const groups = address.includes('.')
    ? address.slice(address.lastIndexOf(':') + 1).split('.')
    : (() => {
        const tail = address
          .split(':')
          .slice(-2)
          .map((g) => Number.parseInt(g || '0', 16));
        const [hi = 0, lo = 0] = tail;
        return [hi >> 8, hi & 255, lo >> 8, lo & 255].map(String);
      })();
  return groups.join('.');
};

/** The host of a URL as an IP literal (brackets removed), or undefined for a name. */
export const ipLiteralOf = (url: URL): string | undefined => {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) ? host : undefined;
};

const isLocalhostName = (host: string): boolean =>
  host === 'localhost' || host.endsWith('.localhost') || host === 'localhost.';

/**
 * Validates a webhook URL as configured by a user: http(s), bounded length, no credentials
 * (requests are authenticated by signature) and no fragment; with `allowPrivate` false, no
 * literal private address or localhost name. Returns the normalised URL string.
 */
export const checkTargetUrl = (raw: string, opts: { allowPrivate: boolean }): string => {
  if (raw.length > MAX_URL_LENGTH) throw webhooksErrors.badUrl(`longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw webhooksErrors.badUrl('not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw webhooksErrors.badUrl('only http and https are supported');
  if (url.username !== '' || url.password !== '')
    throw webhooksErrors.badUrl('credentials in the URL are not allowed (requests are signed instead)');
  if (url.hash !== '') throw webhooksErrors.badUrl('a fragment is not allowed');
  if (!opts.allowPrivate) {
    const ip = ipLiteralOf(url);
    if ((ip !== undefined && isPrivateAddress(ip)) || isLocalhostName(url.hostname.toLowerCase()))
      throw webhooksErrors.badUrl(
        'loopback, private and reserved addresses are refused (GATEHOUSE_WEBHOOK_ALLOW_PRIVATE_TARGETS)',
      );
  }
  return url.toString();
};

/** The URL without query string, for events and logs (a query may carry an access key). */
export const redactUrl = (raw: string): string => {
  try {
    const u = new URL(raw);
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(invalid url)';
  }
};
