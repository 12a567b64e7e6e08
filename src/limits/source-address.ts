import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * The part of a client address that limits are counted against. IPv4 addresses count one by one;
 * an IPv6 client counts by its /64, because a single host or home routinely owns a whole /64 and
 * could otherwise pick a fresh address for every request. IPv4-mapped IPv6 (`::ffff:10.0.0.1`,
 * how a dual-stack socket reports IPv4 peers) counts as the IPv4 address. Anything else (only a
 * trusted proxy's header can give something else) counts by a hash of it, so a key stays short.
 */
export const sourceKey = (address: string | undefined): string => {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  const family = isIP(address.split('%')[0] as string);
  if (family === 4) return address;
  if (family !== 6) return `other:${createHash('sha256').update(address).digest('hex').slice(0, 32)}`;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
};

/** The eight 16-bit groups of an IPv6 address (zone id dropped), lower-case, without leading zeros. */
const expandIpv6 = (address: string): string[] => {
  const bare = address.split('%')[0] as string;
  const [head = '', tail] = bare.split('::');
  const part = (s: string) => (s === '' ? [] : s.split(':'));
  let left = part(head);
  let right = tail === undefined ? [] : part(tail);
  // An embedded IPv4 tail (`::1.2.3.4`) is two groups.
  const v4 = (groups: string[]) => {
    const last = groups[groups.length - 1];
    if (!last?.includes('.')) return groups;
    const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number);
    return [...groups.slice(0, -1), ((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
  };
  if (tail === undefined) left = v4(left);
  else right = v4(right);
  const missing = 8 - left.length - right.length;
  const groups = [...left, ...Array.from({ length: Math.max(0, missing) }, () => '0'), ...right];
  return groups.map((g) => Number.parseInt(g, 16).toString(16));
};
