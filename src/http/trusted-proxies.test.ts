import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { createTrustedProxies } from './trusted-proxies.js';

describe('trusted proxies', () => {
  it('matches addresses and CIDR ranges of both families, IPv4-mapped IPv6 included', () => {
    const p = createTrustedProxies(['10.0.0.0/8', '192.168.1.10', 'fd00::/8', '::1']);
    for (const a of ['10.200.3.4', '::ffff:10.1.1.1', '192.168.1.10', 'fd12::5', '::1'])
      expect(p.has(a), a).toBe(true);
    for (const a of ['11.0.0.1', '192.168.1.11', 'fe80::1', '', undefined, 'not-an-ip'])
      expect(p.has(a), String(a)).toBe(false);
    expect(createTrustedProxies([]).has('127.0.0.1')).toBe(false);
  });

  it('are validated with the TLS and proxy settings at start', () => {
    const base = { dataDir: '/tmp/gh-config-test' };
    const c = loadConfig(
      { ...base, trustedProxies: ' 10.0.0.0/8 ,::1', clientCertHeader: 'X-Client-Cert' },
      {},
    );
    expect(c.trustedProxies).toEqual(['10.0.0.0/8', '::1']);
    expect(c.clientCertHeader).toBe('X-Client-Cert');
    expect(c.tlsListen).toBeUndefined();
    expect(() => loadConfig({ ...base, trustedProxies: '10.0.0.0/33' }, {})).toThrow(
      /GATEHOUSE_TRUSTED_PROXIES/,
    );
    expect(() => loadConfig({ ...base, trustedProxies: 'proxy.local' }, {})).toThrow(/CIDR/);
    expect(() => loadConfig({ ...base, clientCertHeader: 'X-Client-Cert' }, {})).toThrow(
      /needs --trusted-proxies/,
    );
    expect(() => loadConfig({ ...base, clientCertHeader: 'Bad Header' }, {})).toThrow(/header name/);
    expect(() => loadConfig({ ...base, tlsListen: '0.0.0.0:8443' }, {})).toThrow(/needs --tls-cert-file/);
    const tls = loadConfig(
      {},
      {
        GATEHOUSE_DATA_DIR: '/tmp/x',
        GATEHOUSE_TLS_LISTEN: '127.0.0.1:8443',
        GATEHOUSE_TLS_CERT_FILE: 'cert.pem',
        GATEHOUSE_TLS_KEY_FILE: '/etc/key.pem',
      },
    );
    expect(tls.tlsListen).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(tls.tlsCertFile).toMatch(/^\/.*cert\.pem$/);
    expect(tls.tlsKeyFile).toBe('/etc/key.pem');
  });
});
