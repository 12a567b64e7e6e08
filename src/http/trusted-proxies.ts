import { BlockList, isIP } from 'node:net';

/** The addresses whose X-Forwarded-* and client-certificate headers Gatehouse believes. */
export interface TrustedProxies {
  readonly entries: readonly string[];
  has(address: string | undefined): boolean;
}

/** IPv4-mapped IPv6 (`::ffff:10.0.0.1`, how a dual-stack socket reports IPv4 peers) as plain IPv4. */
const unmap = (address: string): string => {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? (m[1] as string) : address;
};

/** Parses `10.0.0.5`, `10.0.0.0/8`, `::1`, `fd00::/8` (validated once more by the config schema). */
export const createTrustedProxies = (entries: readonly string[]): TrustedProxies => {
  const list = new BlockList();
  for (const e of entries) {
    const [addr = '', prefix] = e.split('/');
    const a = unmap(addr);
    const family = isIP(a) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(a, family);
    else list.addSubnet(a, Number(prefix), family);
  }
  return {
    entries,
    has(address) {
      if (!address || entries.length === 0) return false;
      const a = unmap(address);
      const v = isIP(a);
      return v !== 0 && list.check(a, v === 6 ? 'ipv6' : 'ipv4');
    },
  };
};
