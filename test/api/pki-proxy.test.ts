import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { dialects } from '../helpers/databases.js';
import { adminToken, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { CA_EXT, hasTool, type Issued, makeRootCa, pkiDir, signWith } from '../helpers/openssl.js';
import { registerVerifiedCa } from './pki-setup.js';

const WHOAMI = '/api/devices/v1/pki/client-certificate';
const haveOpenssl = hasTool('openssl');

describe.skipIf(!haveOpenssl).each(dialects())('client certificates from an edge proxy on %s', (dialect) => {
  let t: TestServer;
  const dir = pkiDir();
  let inter: Issued;
  let leaf: Issued;
  let caId: string;
  // nginx: proxy_set_header X-Client-Cert $ssl_client_escaped_cert;
  const escaped = (...pems: string[]) => encodeURIComponent(pems.join(''));
  const who = (remoteAddress: string, headers: Record<string, string>) =>
    t.app.inject({ method: 'GET', url: WHOAMI, remoteAddress, headers });

  beforeAll(async () => {
    const root = makeRootCa(dir, 'proxy-root');
    inter = signWith(dir, root, 'proxy-int', { ext: CA_EXT });
    leaf = signWith(dir, inter, 'proxy-device');
    t = await startTestGatehouse(dialect, {
      flags: { trustedProxies: '10.1.2.3, 192.168.50.0/24, ::1', clientCertHeader: 'X-Client-Cert' },
    });
    caId = await registerVerifiedCa(t.app, (await adminToken(t.gh)).token, dir, root);
  });
  afterAll(async () => t?.close());

  it('honours the header only from a trusted proxy address', async () => {
    const header = { 'x-client-cert': escaped(leaf.pem, inter.pem) };
    for (const peer of ['10.1.2.3', '192.168.50.77', '::ffff:10.1.2.3', '::1']) {
      const res = await who(peer, header);
      expect(res.statusCode, peer).toBe(200);
      expect(res.json()).toMatchObject({ ca_id: caId, cn: 'proxy-device', source: 'proxy' });
    }
    for (const peer of ['10.1.2.4', '192.168.51.1', '127.0.0.1']) {
      expect((await who(peer, header)).statusCode, peer).toBe(401);
    }
    // Plain PEM (newlines folded into spaces) works too; garbage or a lone leaf does not verify.
    expect(
      (await who('10.1.2.3', { 'x-client-cert': `${leaf.pem}${inter.pem}`.replace(/\n/g, ' ') })).statusCode,
    ).toBe(200);
    expect((await who('10.1.2.3', { 'x-client-cert': escaped(leaf.pem) })).json().error).toBe(
      'a valid client certificate from this tenant is required',
    );
    expect((await who('10.1.2.3', { 'x-client-cert': 'garbage' })).statusCode).toBe(401);
    expect((await who('10.1.2.3', {})).statusCode).toBe(401);
  });

  it('takes X-Forwarded-* only from trusted proxies', async () => {
    // A second app on the same Gatehouse, with a hook that records what Fastify made of the request.
    const app = await buildApp(t.gh);
    let seen: { ip: string; protocol: string } | undefined;
    app.addHook('onResponse', async (req) => {
      seen = { ip: req.ip, protocol: req.protocol };
    });
    const ip = async (remoteAddress: string) =>
      app.inject({
        method: 'GET',
        url: '/api/health',
        remoteAddress,
        headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' },
      });
    await ip('10.1.2.3');
    expect(seen).toEqual({ ip: '203.0.113.9', protocol: 'https' });
    await ip('10.9.9.9');
    expect(seen).toEqual({ ip: '10.9.9.9', protocol: 'http' });
    await app.close();
  });
});
