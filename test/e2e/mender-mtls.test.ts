import { createPublicKey, X509Certificate } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { authRequestBody, signBody } from '../helpers/device-client.js';
import { curl, type Issued, makeCrl, makeRootCa, pkiDir } from '../helpers/openssl.js';
import { loadDeviceKeys } from './helpers/device-flows.js';
import {
  type CaChain,
  type DeviceCert,
  estEnroll,
  makeCaChain,
  makeDeviceCert,
  makeExpiredDeviceCert,
  makeServerCert,
  type PkiClient,
  pkiClient,
} from './helpers/device-pki.js';
import {
  adminTokenViaCli,
  freePort,
  type GatehouseProcess,
  spawnGatehouse,
} from './helpers/gatehouse-process.js';
import { describeWithMender } from './helpers/host.js';
import { generateKeyFile } from './helpers/keys.js';
import { type DeviceJson, type ManagementClient, managementClient } from './helpers/management-api.js';
import { disposeAllDevices, SimDevice } from './helpers/mender-device.js';
import {
  CLIENT_CERT_HEADER,
  NGINX_BIN,
  type Nginx,
  PROXY_SOURCE_ADDRESS,
  startNginx,
} from './helpers/nginx.js';
import {
  AUTH_PATH,
  INVENTORY_PATH,
  type RecordedServer,
  startRecordedServer,
} from './helpers/recorded-server.js';
import { waitFor } from './helpers/wait.js';

/**
 * Certificate-based admission (issue 5) with the real Debian mender 3.4 client: a device whose
 * client certificate chains to a verified CA of the tenant is accepted on its first auth request,
 * with the identity {DeviceId: <leaf CN>} taken from the certificate, whether the TLS is
 * terminated by Gatehouse's own listener or by an nginx edge proxy that forwards the certificate.
 * With `HttpsClient{Certificate,Key}` the client signs its auth requests with the mTLS key
 * (docs/compat/mender-clients.md#tls-and-mtls), so the auth set's key is the certificate's key.
 */

const WHOAMI = '/api/devices/v1/pki/client-certificate';
const NEXT_PATH = '/api/devices/v2/deployments/device/deployments/next';
const ENROLLED_EVENT = 'device.enrolled_by_certificate';

const spki = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'der' });
const certKeyPem = (certPem: string) =>
  new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const sameKey = (a: string, b: string) => spki(a).equals(spki(b));

/** nginx's $ssl_client_escaped_cert: the URL-encoded PEM. */
const escapedPem = (...certs: Issued[]) => encodeURIComponent(certs.map((c) => c.pem).join(''));

/** A plain HTTP request to Gatehouse from a chosen local address (127.0.0.1 or the proxy's). */
const rawRequest = (
  baseUrl: string,
  opts: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body?: Buffer;
    localAddress: string;
  },
): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const u = new URL(baseUrl);
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        method: opts.method,
        path: opts.path,
        headers: opts.body ? { ...opts.headers, 'content-length': String(opts.body.length) } : opts.headers,
        localAddress: opts.localAddress,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });

for (const dialect of dialects()) {
  // Every case on SQLite; the admission cases (TLS listener and nginx) on PostgreSQL too.
  const full = dialect === 'sqlite';

  describeWithMender(
    `mender client with a client certificate (${dialect})`,
    () => {
      const dir = pkiDir();
      let server: RecordedServer;
      let nginx: Nginx;
      let pki: PkiClient;
      let serverCa: Issued;
      /** Root registered and verified; devices present leaf + intermediate. */
      let rootChain: CaChain;
      let rootCaId: string;
      /** Only the intermediate registered (what a proxy needs: nginx forwards the leaf alone). */
      let intChain: CaChain;

      beforeAll(async () => {
        serverCa = makeRootCa(dir, 'server-ca');
        const serverCert = makeServerCert(dir, serverCa);
        // As `gatehouse serve --tls-listen ... --trusted-proxies 127.0.0.2 --client-cert-header X-Client-Cert`.
        server = await startRecordedServer(dialect, {
          flags: { trustedProxies: PROXY_SOURCE_ADDRESS, clientCertHeader: CLIENT_CERT_HEADER },
          tls: { certFile: serverCert.crt, keyFile: serverCert.key },
        });
        nginx = await startNginx({
          upstreamUrl: server.url,
          certFile: serverCert.crt,
          keyFile: serverCert.key,
        });
        pki = pkiClient(server.mgmt, dir);
        rootChain = makeCaChain(dir, 'acme');
        rootCaId = await pki.registerVerifiedCa(rootChain.root);
        intChain = makeCaChain(dir, 'proxyco');
        await pki.registerVerifiedCa(intChain.intermediate);
      });
      afterEach(async (ctx) => {
        const failed = ctx.task.result?.state === 'fail';
        if (failed && server) console.error(server.describeRequests(60));
        if (failed && nginx)
          console.error(`--- nginx access log ---\n${nginx.accessLog().slice(-30).join('\n')}`);
        await disposeAllDevices({ printLogs: failed });
      });
      afterAll(async () => {
        await nginx?.stop();
        await server?.close();
      });

      const tlsUrl = () => server.tlsUrl as string;

      /** A simulated device that talks mTLS with `cert` to `url`, trusting our server CA. */
      const mtlsDevice = (
        url: string,
        cert: DeviceCert,
        opts: { authPrivateKey?: string; extraIdentity?: Record<string, string> } = {},
      ) =>
        SimDevice.create({
          serverUrl: url,
          serverCertificate: serverCa.crt,
          httpsClient: { certificate: cert.certFile, key: cert.key },
          ...opts,
        });

      const authRequestsOf = (device: SimDevice, mark: number) =>
        server.requests.filter((r) => r.seq > mark && r.path === AUTH_PATH && r.authMac === device.mac);

      const diagnostics = (device: SimDevice) => () =>
        `${server.describeRequests(60)}\n${device.logTail()}\n--- nginx ---\n${nginx.accessLog().slice(-20).join('\n')}`;

      /** Devices whose identity is the certificate's CN, or that carry the client's own mac. */
      const devicesOf = async (cn: string, device?: SimDevice): Promise<DeviceJson[]> =>
        (await server.mgmt.listDevices()).filter(
          (d) => d.identity_data.DeviceId === cn || (device && d.identity_data.mac === device.mac),
        );

      const expectNotAdmitted = async (cn: string, device: SimDevice) => {
        const mine = await devicesOf(cn, device);
        expect(
          mine.filter((d) => d.status === 'accepted' || d.auth_sets.some((a) => a.status === 'accepted')),
        ).toEqual([]);
      };

      /** Waits until the device with identity {DeviceId: cn} is accepted; returns it. */
      const waitAccepted = (cn: string, device: SimDevice) =>
        waitFor(
          `a device with identity {DeviceId: ${cn}} to be accepted`,
          async () => (await devicesOf(cn)).find((d) => d.status === 'accepted'),
          { intervalMs: 250, diagnostics: diagnostics(device) },
        );

      /** The admitted device: identity from the certificate only, one accepted auth set with its key. */
      const expectAdmittedByCertificate = (dev: DeviceJson, cert: DeviceCert) => {
        expect(dev.status).toBe('accepted');
        expect(dev.identity_data).toEqual({ DeviceId: cert.cn });
        const accepted = dev.auth_sets.filter((a) => a.status === 'accepted');
        expect(accepted).toHaveLength(1);
        expect(sameKey(accepted[0]?.pubkey ?? '', certKeyPem(cert.leaf.pem))).toBe(true);
      };

      /** Waits for an inventory PUT and an update check, both 200/204, with the device's token. */
      const waitPolling = async (device: SimDevice, deviceId: string, mark: number) => {
        await waitFor(
          `an inventory PUT from ${deviceId} answered 200`,
          () =>
            server.requests.find(
              (r) =>
                r.seq > mark &&
                r.method === 'PUT' &&
                r.path === INVENTORY_PATH &&
                r.statusCode === 200 &&
                r.sub === deviceId,
            ),
          { diagnostics: diagnostics(device) },
        );
        await waitFor(
          `an update check from ${deviceId} answered 204`,
          () =>
            server.requests.find(
              (r) => r.seq > mark && r.path === NEXT_PATH && r.statusCode === 204 && r.sub === deviceId,
            ),
          { diagnostics: diagnostics(device) },
        );
      };

      const expectEnrolledEvent = async (deviceId: string, cn: string) => {
        const events = await pki.auditEvents(ENROLLED_EVENT);
        const mine = events.filter((e) => e.device_id === deviceId);
        expect(mine, JSON.stringify(events)).toHaveLength(1);
        expect(JSON.stringify(mine[0]?.data)).toContain(cn);
      };

      /** `mender bootstrap` (one auth request): exit code and what the server answered. */
      const bootstrap = async (device: SimDevice) => {
        const mark = server.mark();
        const code = await device.bootstrap();
        return { code, auths: authRequestsOf(device, mark) };
      };

      /** The one-shot client is refused (401) and no device is accepted; returns the recorded request. */
      const expectRefused = async (device: SimDevice, cert: DeviceCert) => {
        const { code, auths } = await bootstrap(device);
        expect(
          auths.map((r) => r.statusCode),
          diagnostics(device)(),
        ).toEqual([401]);
        expect(code).toBe(1);
        await expectNotAdmitted(cert.cn, device);
        return auths[0];
      };

      it('a registered but unverified CA admits nobody; once verified, the running daemon is admitted (TLS listener, EC)', async () => {
        const chain = makeCaChain(dir, 'later');
        const { id, code } = await pki.registerCa(chain.root);
        const cert = makeDeviceCert(dir, chain.intermediate, { kind: 'ec', chain: [chain.intermediate] });
        const device = await mtlsDevice(tlsUrl(), cert);
        const start = server.mark();
        device.startDaemon();

        // The client retries every second: wait for two refusals.
        const refused = await waitFor(
          'two refused auth requests',
          () => {
            const auths = authRequestsOf(device, start);
            return auths.length >= 2 && auths;
          },
          { diagnostics: diagnostics(device) },
        );
        expect(refused.every((r) => r.statusCode === 401)).toBe(true);
        // The certificate did reach Gatehouse, with its intermediate, and was refused for the CA.
        expect(refused[0]).toMatchObject({
          clientCertSource: 'tls',
          clientCertFailure: 'ca_unverified',
          clientCertChainLength: 2,
        });
        expect(
          server.requests.filter((r) => r.seq > start && r.sub !== undefined && r.statusCode < 300),
        ).toEqual([]);
        await expectNotAdmitted(cert.cn, device);

        // Proof of possession; no other step: the same daemon gets in on its next retry.
        const verifiedMark = server.mark();
        await pki.verifyCa(id, chain.root, code);
        const dev = await waitAccepted(cert.cn, device);
        expectAdmittedByCertificate(dev, cert);
        const admitted = authRequestsOf(device, verifiedMark).filter((r) => r.statusCode === 200);
        expect(admitted.length).toBeGreaterThan(0);
        expect(admitted[0]).toMatchObject({ clientCertSource: 'tls', clientCertCn: cert.cn });
        expect(sameKey(admitted[0]?.authPubkey ?? '', certKeyPem(cert.leaf.pem))).toBe(true);
        await waitPolling(device, dev.id, verifiedMark);
        const attrs = await server.gh.inventory.device.deviceAttributes(DEFAULT_TENANT_ID, dev.id);
        expect(
          Object.fromEntries(attrs.filter((a) => a.scope === 'inventory').map((a) => [a.name, a.value])),
        ).toMatchObject({
          device_type: 'qemux86-64',
          artifact_name: 'release-1',
        });
        await expectEnrolledEvent(dev.id, cert.cn);
      });

      const leafKinds = { ec: 'EC P-256', rsa: 'RSA-2048', ed25519: 'Ed25519' } as const;
      for (const kind of full ? (['ec', 'rsa', 'ed25519'] as const) : []) {
        it(`admits on the first request with an ${leafKinds[kind]} leaf; the identity the client sends is ignored (TLS listener)`, async () => {
          const cert = makeDeviceCert(dir, rootChain.intermediate, { kind, chain: [rootChain.intermediate] });
          const spoofed = `spoofed-${cert.cn}`;
          const device = await mtlsDevice(tlsUrl(), cert, { extraIdentity: { DeviceId: spoofed } });
          const { code, auths } = await bootstrap(device);
          expect(
            auths.map((r) => r.statusCode),
            diagnostics(device)(),
          ).toEqual([200]);
          expect(code).toBe(0);
          expect(auths[0]).toMatchObject({
            clientCertSource: 'tls',
            clientCertCn: cert.cn,
            clientCertChainLength: 2,
          });
          const [dev, ...others] = await devicesOf(cert.cn, device);
          expect(others).toEqual([]);
          expectAdmittedByCertificate(dev as DeviceJson, cert);
          expect(
            (await server.mgmt.listDevices()).filter((d) => d.identity_data.DeviceId === spoofed),
          ).toEqual([]);
          await expectEnrolledEvent((dev as DeviceJson).id, cert.cn);
        });
      }

      it('through nginx: the proxy forwards the client certificate and the daemon is admitted and polls', async () => {
        const cert = makeDeviceCert(dir, intChain.intermediate, { kind: 'ec' });
        // The certificate reaches Gatehouse through the proxy (source "proxy"), a forged header does not.
        const who = await curl([
          '--cacert',
          serverCa.crt,
          '--cert',
          cert.certFile,
          '--key',
          cert.key,
          `${nginx.url}${WHOAMI}`,
        ]);
        expect(who.status, who.body.toString()).toBe(200);
        expect(JSON.parse(who.body.toString())).toMatchObject({ cn: cert.cn, source: 'proxy' });
        const forged = await curl([
          '--cacert',
          serverCa.crt,
          '-H',
          `${CLIENT_CERT_HEADER}: ${escapedPem(cert.leaf)}`,
          `${nginx.url}${WHOAMI}`,
        ]);
        expect(forged.status).toBe(401);

        const device = await mtlsDevice(nginx.url, cert);
        const start = server.mark();
        device.startDaemon();
        const dev = await waitAccepted(cert.cn, device);
        expectAdmittedByCertificate(dev, cert);
        const auths = authRequestsOf(device, start);
        expect(auths.map((r) => r.statusCode)).toEqual(expect.arrayContaining([200]));
        expect(auths[0]).toMatchObject({ statusCode: 200, clientCertSource: 'proxy', clientCertCn: cert.cn });
        await waitPolling(device, dev.id, start);
        await expectEnrolledEvent(dev.id, cert.cn);
        expect(nginx.accessLog().some((l) => l.includes(`POST ${AUTH_PATH}`) && l.includes(` 200 `))).toBe(
          true,
        );
      });

      if (full) {
        it('through nginx: a leaf whose issuer is not itself registered is refused (nginx forwards the leaf only)', async () => {
          const cert = makeDeviceCert(dir, rootChain.intermediate, {
            kind: 'ec',
            chain: [rootChain.intermediate],
          });
          const device = await mtlsDevice(nginx.url, cert);
          const refused = await expectRefused(device, cert);
          expect(refused).toMatchObject({
            clientCertSource: 'proxy',
            clientCertChainLength: 1,
            clientCertFailure: 'unknown_issuer',
          });
        });

        it('trusts the certificate header only from the proxy address, not from 127.0.0.1', async () => {
          const cert = makeDeviceCert(dir, intChain.intermediate, { kind: 'ec' });
          const keys = await loadDeviceKeys(cert.key);
          const header = { [CLIENT_CERT_HEADER.toLowerCase()]: escapedPem(cert.leaf, intChain.intermediate) };
          const authFrom = (localAddress: string) => {
            const body = authRequestBody({ mac: `direct-${cert.cn}` }, keys.publicPem);
            return rawRequest(server.url, {
              method: 'POST',
              path: AUTH_PATH,
              localAddress,
              body,
              headers: {
                ...header,
                'content-type': 'application/json',
                authorization: 'Bearer ',
                'x-men-signature': signBody(keys, body),
              },
            });
          };
          // Straight to the plain HTTP port from 127.0.0.1: the header is ignored.
          const who = await rawRequest(server.url, {
            method: 'GET',
            path: WHOAMI,
            headers: header,
            localAddress: '127.0.0.1',
          });
          expect(who.status).toBe(401);
          const mark = server.mark();
          const direct = await authFrom('127.0.0.1');
          expect(direct.status).toBe(401);
          const recorded = server.requests.filter((r) => r.seq > mark && r.path === AUTH_PATH);
          expect(recorded.map((r) => r.clientCertSource)).toEqual([undefined]);
          expect(
            (await devicesOf(cert.cn)).filter(
              (d) => d.status === 'accepted' || d.identity_data.DeviceId === cert.cn,
            ),
          ).toEqual([]);
          // Control: the same request from the proxy's address is trusted.
          const viaProxyAddress = await rawRequest(server.url, {
            method: 'GET',
            path: WHOAMI,
            headers: header,
            localAddress: PROXY_SOURCE_ADDRESS,
          });
          expect(viaProxyAddress.status).toBe(200);
          expect(JSON.parse(viaProxyAddress.body)).toMatchObject({ cn: cert.cn, source: 'proxy' });
          const admitted = await authFrom(PROXY_SOURCE_ADDRESS);
          expect(admitted.status, admitted.body).toBe(200);
          expectAdmittedByCertificate((await devicesOf(cert.cn))[0] as DeviceJson, cert);
        });

        it('refuses a certificate from a CA that is not registered', async () => {
          const stranger = makeCaChain(dir, 'stranger');
          const cert = makeDeviceCert(dir, stranger.intermediate, { chain: [stranger.intermediate] });
          const refused = await expectRefused(await mtlsDevice(tlsUrl(), cert), cert);
          expect(refused).toMatchObject({ clientCertSource: 'tls', clientCertFailure: 'unknown_issuer' });
        });

        it('refuses an expired certificate', async () => {
          const cert = makeExpiredDeviceCert(dir, rootChain.intermediate, [rootChain.intermediate]);
          const refused = await expectRefused(await mtlsDevice(tlsUrl(), cert), cert);
          expect(refused).toMatchObject({ clientCertSource: 'tls', clientCertFailure: 'expired' });
        });

        it('refuses a certificate revoked at the built-in CA', async () => {
          await pki.builtinCa();
          const cert = await pki.issueBuiltin(`dev-revoked-${Date.now()}`);
          await pki.revoke(cert.serial);
          const refused = await expectRefused(await mtlsDevice(tlsUrl(), cert), cert);
          expect(refused).toMatchObject({ clientCertSource: 'tls', clientCertFailure: 'revoked' });
        });

        it("refuses a certificate listed in an uploaded CA's CRL", async () => {
          // The CRL is the registered CA's own: it lists the leaf that CA signed directly.
          const cert = makeDeviceCert(dir, rootChain.root, { kind: 'ec' });
          await pki.uploadCrl(rootCaId, makeCrl(dir, rootChain.root, [cert.leaf]));
          const refused = await expectRefused(await mtlsDevice(tlsUrl(), cert), cert);
          expect(refused).toMatchObject({ clientCertSource: 'tls', clientCertFailure: 'revoked' });
        });

        it('refuses a valid certificate when the auth request is signed with another key (Security.AuthPrivateKey)', async () => {
          const cert = makeDeviceCert(dir, rootChain.intermediate, {
            kind: 'ec',
            chain: [rootChain.intermediate],
          });
          const otherKey = `${dir}/${cert.cn}-other.key`;
          await generateKeyFile('ec-p256', otherKey);
          const device = await mtlsDevice(tlsUrl(), cert, { authPrivateKey: otherKey });
          const refused = await expectRefused(device, cert);
          // The certificate itself verified; the signing key is not its key.
          expect(refused).toMatchObject({ clientCertSource: 'tls', clientCertCn: cert.cn });
          expect(sameKey(refused?.authPubkey ?? '', certKeyPem(cert.leaf.pem))).toBe(false);
        });

        it('EST: a certificate enrolled with curl admits the real client; re-enrollment works through nginx', async () => {
          await pki.builtinCa();
          const credName = `line-${Date.now()}`;
          const secret = await pki.enrollmentCredential(credName);
          const cn = `dev-est-${Date.now()}`;
          const enrolled = await estEnroll(dir, {
            baseUrl: tlsUrl(),
            caFile: serverCa.crt,
            op: 'simpleenroll',
            cn,
            auth: ['-u', `${credName}:${secret}`],
          });
          expect(enrolled.status, enrolled.body).toBe(200);
          const cert = enrolled.cert as DeviceCert;

          // simplereenroll authenticates with the client certificate, here forwarded by nginx.
          const re = await estEnroll(dir, {
            baseUrl: nginx.url,
            caFile: serverCa.crt,
            op: 'simplereenroll',
            cn,
            auth: ['--cert', cert.certFile, '--key', cert.key],
          });
          expect(re.status, re.body).toBe(200);

          const device = await mtlsDevice(tlsUrl(), cert);
          const start = server.mark();
          device.startDaemon();
          const dev = await waitAccepted(cn, device);
          expectAdmittedByCertificate(dev, cert);
          await waitPolling(device, dev.id, start);
          // The re-enrolled certificate (new key, same CN) authenticates too, as the same device id.
          const renewed = re.cert as DeviceCert;
          const again = await mtlsDevice(tlsUrl(), renewed);
          const { code, auths } = await bootstrap(again);
          expect(
            auths.map((r) => r.statusCode),
            diagnostics(again)(),
          ).toEqual([200]);
          expect(code).toBe(0);
          expect((await devicesOf(cn)).map((d) => d.id)).toEqual([dev.id]);
        });
      }
    },
    { tools: [NGINX_BIN, '/usr/bin/curl'] },
  );
}

/**
 * The deployment as documented: a real `gatehouse serve` process, configured only by its flags
 * (--tls-listen, --tls-cert-file, --tls-key-file, --trusted-proxies, --client-cert-header), with
 * nginx in front. What the device did is read from the management API and nginx's access log.
 */
describeWithMender(
  '`gatehouse serve` with its TLS listener and nginx in front (sqlite)',
  () => {
    const dir = pkiDir();
    let db: TestDatabase;
    let gatehouse: GatehouseProcess;
    let nginx: Nginx;
    let mgmt: ManagementClient;
    let serverCa: Issued;
    let chain: CaChain;
    let tlsUrl: string;

    beforeAll(async () => {
      serverCa = makeRootCa(dir, 'server-ca');
      const serverCert = makeServerCert(dir, serverCa);
      db = await createTestDatabase('sqlite');
      const tlsPort = await freePort();
      gatehouse = await spawnGatehouse(db, [
        '--tls-listen',
        `127.0.0.1:${tlsPort}`,
        '--tls-cert-file',
        serverCert.crt,
        '--tls-key-file',
        serverCert.key,
        '--trusted-proxies',
        PROXY_SOURCE_ADDRESS,
        '--client-cert-header',
        CLIENT_CERT_HEADER,
      ]);
      tlsUrl = `https://127.0.0.1:${tlsPort}`;
      nginx = await startNginx({
        upstreamUrl: gatehouse.url,
        certFile: serverCert.crt,
        keyFile: serverCert.key,
      });
      mgmt = managementClient(gatehouse.url, await adminTokenViaCli(db, gatehouse.url));
      chain = makeCaChain(dir, 'factory');
      await pkiClient(mgmt, dir).registerVerifiedCa(chain.intermediate);
    });
    afterEach(async (ctx) => {
      const failed = ctx.task.result?.state === 'fail';
      if (failed && gatehouse)
        console.error(`--- gatehouse output ---\n${gatehouse.output.join('').slice(-4000)}`);
      if (failed && nginx)
        console.error(`--- nginx access log ---\n${nginx.accessLog().slice(-30).join('\n')}`);
      await disposeAllDevices({ printLogs: failed });
    });
    afterAll(async () => {
      await nginx?.stop();
      await gatehouse?.stop();
      await db?.drop();
    });

    const accepted = (cn: string, device: SimDevice) =>
      waitFor(
        `a device with identity {DeviceId: ${cn}} to be accepted`,
        async () =>
          (await mgmt.listDevices()).find((d) => d.identity_data.DeviceId === cn && d.status === 'accepted'),
        {
          intervalMs: 250,
          diagnostics: () => `${nginx.accessLog().slice(-20).join('\n')}\n${device.logTail()}`,
        },
      );

    it('admits a daemon through nginx and a one-shot client on the TLS listener; ignores the header from 127.0.0.1', async () => {
      const viaProxy = makeDeviceCert(dir, chain.intermediate, { kind: 'ec' });
      const daemon = await SimDevice.create({
        serverUrl: nginx.url,
        serverCertificate: serverCa.crt,
        httpsClient: { certificate: viaProxy.certFile, key: viaProxy.key },
      });
      daemon.startDaemon();
      const dev = await accepted(viaProxy.cn, daemon);
      expect(dev.identity_data).toEqual({ DeviceId: viaProxy.cn });
      // Its inventory got through nginx with the token it was given.
      await waitFor(
        'the inventory reported through nginx',
        async () => {
          const r = await mgmt.call<{ attributes?: { name: string; value: unknown }[] }>(
            'GET',
            `/api/management/v1/inventory/devices/${dev.id}`,
          );
          return r.status === 200 && r.body.attributes?.some((a) => a.name === 'mender_client_version');
        },
        { intervalMs: 250, diagnostics: () => nginx.accessLog().slice(-20).join('\n') },
      );
      expect(nginx.accessLog().some((l) => l.includes(`PUT ${INVENTORY_PATH}`) && l.includes(' 200 '))).toBe(
        true,
      );

      const direct = makeDeviceCert(dir, chain.intermediate, { kind: 'rsa', chain: [chain.intermediate] });
      const oneShot = await SimDevice.create({
        serverUrl: tlsUrl,
        serverCertificate: serverCa.crt,
        httpsClient: { certificate: direct.certFile, key: direct.key },
      });
      expect(await oneShot.bootstrap(), oneShot.logTail()).toBe(0);
      expect((await accepted(direct.cn, oneShot)).identity_data).toEqual({ DeviceId: direct.cn });

      // The same forwarded header, but from 127.0.0.1 straight to the plain port: not trusted.
      const forged = makeDeviceCert(dir, chain.intermediate, { kind: 'ec' });
      const keys = await loadDeviceKeys(forged.key);
      const body = authRequestBody({ mac: `forged-${forged.cn}` }, keys.publicPem);
      const res = await rawRequest(gatehouse.url, {
        method: 'POST',
        path: AUTH_PATH,
        localAddress: '127.0.0.1',
        body,
        headers: {
          [CLIENT_CERT_HEADER]: escapedPem(forged.leaf),
          'content-type': 'application/json',
          authorization: 'Bearer ',
          'x-men-signature': signBody(keys, body),
        },
      });
      expect(res.status).toBe(401);
      expect(
        (await mgmt.listDevices()).filter(
          (d) =>
            d.identity_data.DeviceId === forged.cn ||
            (d.status === 'accepted' && d.identity_data.mac !== undefined),
        ),
      ).toEqual([]);
    });
  },
  { tools: [NGINX_BIN, '/usr/bin/curl'] },
);
