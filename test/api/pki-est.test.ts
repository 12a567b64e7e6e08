import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { authRequestBody, makeDeviceKeys, signBody } from '../helpers/device-client.js';
import { adminToken } from '../helpers/gatehouse.js';
import {
  CA_EXT,
  certsFromPkcs7Base64,
  curl,
  firstPem,
  hasTool,
  type Issued,
  makeCsr,
  makeRootCa,
  openssl,
  pkiDir,
  signWith,
} from '../helpers/openssl.js';

const ready = hasTool('openssl') && hasTool('curl');
const PKI = '/api/management/v1/pki';
const WHOAMI = '/api/devices/v1/pki/client-certificate';

describe.skipIf(!ready).each(dialects())('EST enrollment and mTLS with curl and openssl on %s', (dialect) => {
  const dir = pkiDir();
  let db: TestDatabase;
  let server: RunningServer;
  let token: string;
  let serverCa: Issued;
  let https: string;
  const tls = (...args: string[]) => ['--cacert', serverCa.crt, ...args];
  const mgmt = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${PKI}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json().catch(() => null)) as Record<string, unknown> };
  };
  /** `openssl req -outform DER | base64`, POSTed as application/pkcs10 (RFC 7030 §4.2.1). */
  const csrFile = (name: string, opts: { cn?: string; subj?: string; key?: string } = {}) => {
    const { key, der } = makeCsr(dir, name, opts);
    const file = join(dir, `${name}.b64`);
    writeFileSync(file, der.toString('base64').replace(/(.{64})/g, '$1\n'));
    return { key, file };
  };
  const enroll = (path: string, file: string, auth: string[]) =>
    curl(
      tls(...auth, '-H', 'Content-Type: application/pkcs10', '--data-binary', `@${file}`, `${https}${path}`),
    );
  const certOf = (name: string, base64: Buffer) => {
    const pem = firstPem(certsFromPkcs7Base64(dir, base64.toString()));
    const file = join(dir, `${name}.crt`);
    writeFileSync(file, pem);
    return file;
  };

  beforeAll(async () => {
    serverCa = makeRootCa(dir, 'server-ca');
    const serverCert = signWith(dir, serverCa, 'server', {
      cn: '127.0.0.1',
      ext: 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth',
    });
    db = await createTestDatabase(dialect);
    server = await startServer(
      loadConfig(
        {
          dataDir: db.dataDir,
          databaseUrl: db.url,
          listen: '127.0.0.1:0',
          tlsListen: '127.0.0.1:0',
          tlsCertFile: serverCert.crt,
          tlsKeyFile: serverCert.key,
          logLevel: 'silent',
        },
        {},
      ),
    );
    https = server.tlsUrl as string;
    token = (await adminToken(server.gh)).token;
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('serves the normal API over TLS to clients without a certificate', async () => {
    const health = await curl(tls(`${https}/api/health`));
    expect(health.status).toBe(200);
    const who = await curl(tls(`${https}${WHOAMI}`));
    expect(who.status).toBe(401);
    expect((await curl(tls(`${https}/.well-known/est/cacerts`))).status).toBe(404); // no built-in CA yet
  });

  it('enrolls with an enrollment credential; the certificate authenticates over mTLS until revoked', async () => {
    const ca = await mgmt('POST', '/builtin-ca', { key_type: 'ec-p256' });
    expect(ca.status).toBe(201);
    expect(ca.json).toMatchObject({ kind: 'builtin', status: 'verified', enabled: true });

    const cacerts = await curl(tls(`${https}/.well-known/est/cacerts`));
    expect(cacerts.status).toBe(200);
    expect(cacerts.headers).toMatch(/content-type: application\/pkcs7-mime; smime-type=certs-only/i);
    expect(cacerts.headers).toMatch(/content-transfer-encoding: base64/i);
    const caPem = firstPem(certsFromPkcs7Base64(dir, cacerts.body.toString()));
    expect(caPem).toBe(ca.json.certificate);
    const labelled = await curl(tls(`${https}/.well-known/est/${DEFAULT_TENANT_ID}/cacerts`));
    expect(labelled.body.toString()).toBe(cacerts.body.toString());

    const cred = await mgmt('POST', '/enrollment-credentials', { name: 'factory-line-1', max_uses: 2 });
    expect(cred.status).toBe(201);
    const secret = cred.json.secret as string;
    expect((await mgmt('GET', '/enrollment-credentials')).json).not.toHaveProperty('0.secret');

    const { key, file } = csrFile('dev-est', { cn: 'dev-est-1' });
    const refused = await enroll('/.well-known/est/simpleenroll', file, ['-u', `factory-line-1:wrong`]);
    expect(refused.status).toBe(401);
    expect(refused.headers).toMatch(/www-authenticate: Basic/i);
    expect((await enroll('/.well-known/est/simpleenroll', file, [])).status).toBe(401);

    const issued = await enroll('/.well-known/est/simpleenroll', file, ['-u', `factory-line-1:${secret}`]);
    expect(issued.status).toBe(200);
    expect(issued.headers).toMatch(/content-type: application\/pkcs7-mime; smime-type=certs-only/i);
    const crt = certOf('dev-est', issued.body);
    const text = openssl(dir, [
      'x509',
      '-in',
      crt,
      '-noout',
      '-subject',
      '-ext',
      'extendedKeyUsage,basicConstraints',
    ]).toString();
    expect(text).toMatch(/CN ?= ?dev-est-1/);
    expect(text).toMatch(/TLS Web Client Authentication/);
    expect(text).toMatch(/CA:FALSE/);
    // The chain verifies with openssl against the CA from /cacerts.
    writeFileSync(join(dir, 'builtin-ca.crt'), caPem);
    expect(openssl(dir, ['verify', '-CAfile', 'builtin-ca.crt', crt]).toString()).toMatch(/OK/);

    const who = await curl(tls('--cert', crt, '--key', key, `${https}${WHOAMI}`));
    expect(who.status).toBe(200);
    const me = JSON.parse(who.body.toString());
    expect(me).toMatchObject({
      tenant_id: DEFAULT_TENANT_ID,
      ca_kind: 'builtin',
      cn: 'dev-est-1',
      source: 'tls',
    });

    // simplereenroll with the current certificate: same subject, new key → a new certificate.
    const next = csrFile('dev-est-next', { cn: 'dev-est-1' });
    const re = await enroll('/.well-known/est/simplereenroll', next.file, ['--cert', crt, '--key', key]);
    expect(re.status).toBe(200);
    const crt2 = certOf('dev-est-next', re.body);
    const who2 = JSON.parse(
      (await curl(tls('--cert', crt2, '--key', next.key, `${https}${WHOAMI}`))).body.toString(),
    );
    expect(who2.serial).not.toBe(me.serial);
    const other = csrFile('dev-other', { cn: 'someone-else' });
    expect(
      (await enroll('/.well-known/est/simplereenroll', other.file, ['--cert', crt, '--key', key])).status,
    ).toBe(400);
    expect((await enroll('/.well-known/est/simplereenroll', other.file, [])).status).toBe(401);

    const listed = await mgmt('GET', '/certificates');
    expect(
      (listed.json as unknown as { serial: string; issued_via: string }[]).map((c) => c.issued_via),
    ).toEqual(['est', 'est-reenroll']);

    // Revocation: the same request is refused at once, and the CRL lists the serial.
    const rev = await mgmt('POST', `/certificates/${me.serial}/revoke`, { reason: 'keyCompromise' });
    expect(rev.status).toBe(200);
    expect(rev.json.revoked_at).not.toBeNull();
    expect((await curl(tls('--cert', crt, '--key', key, `${https}${WHOAMI}`))).status).toBe(401);
    expect((await curl(tls('--cert', crt2, '--key', next.key, `${https}${WHOAMI}`))).status).toBe(200);
    expect((await mgmt('POST', `/certificates/${me.serial}/revoke`, {})).status).toBe(409);
    const crl = await curl([`${server.url}/pki/${DEFAULT_TENANT_ID}/crl`]);
    expect(crl.status).toBe(200);
    expect(crl.headers).toMatch(/content-type: application\/pkix-crl/i);
    writeFileSync(join(dir, 'crl.der'), crl.body);
    const crlText = openssl(dir, ['crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text']).toString();
    expect(crlText.replace(/\s/g, '')).toContain(`SerialNumber:${me.serial}`);
    expect(crlText).toMatch(/Key Compromise/);
    openssl(dir, ['crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-CAfile', 'builtin-ca.crt']);

    // max_uses 2: a second enrollment works, a third does not.
    const again = csrFile('dev-est-2', { cn: 'dev-est-2' });
    expect(
      (await enroll('/.well-known/est/simpleenroll', again.file, ['-u', `factory-line-1:${secret}`])).status,
    ).toBe(200);
    expect(
      (await enroll('/.well-known/est/simpleenroll', again.file, ['-u', `factory-line-1:${secret}`])).status,
    ).toBe(401);
  });

  it('enrolls an accepted device with its Mender token, and refuses bad CSRs', async () => {
    const keys = makeDeviceKeys('ec');
    const body = authRequestBody({ mac: `est-${dialect}` }, keys.publicPem);
    const auth = () =>
      fetch(`${server.url}/api/devices/v1/authentication/auth_requests`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-men-signature': signBody(keys, body),
          authorization: 'Bearer',
        },
        body,
      });
    expect((await auth()).status).toBe(401);
    const [dev] = (
      await server.gh.devauth.admin.listDevices(DEFAULT_TENANT_ID, { page: { page: 1, perPage: 1 } })
    ).devices;
    await server.gh.devauth.admin.setAuthSetStatus(
      DEFAULT_TENANT_ID,
      dev?.id as string,
      dev?.authSets[0]?.id as string,
      'accepted',
    );
    const deviceToken = await (await auth()).text();

    const { file } = csrFile('dev-token', { cn: 'dev-token' });
    const path = `/.well-known/est/${DEFAULT_TENANT_ID}/simpleenroll`;
    expect((await enroll(path, file, ['-H', 'Authorization: Bearer not-a-token'])).status).toBe(401);
    const ok = await enroll(path, file, ['-H', `Authorization: Bearer ${deviceToken}`]);
    expect(ok.status).toBe(200);
    const serial = openssl(dir, [
      'x509',
      '-in',
      certOf('dev-token', ok.body),
      '-noout',
      '-serial',
    ]).toString();
    const rec = await mgmt('GET', `/certificates/${serial.trim().split('=')[1]}`);
    expect(rec.json).toMatchObject({ device_id: dev?.id, issued_via: 'est' });

    const bearerAuth = ['-H', `Authorization: Bearer ${deviceToken}`];
    const junk = join(dir, 'junk.b64');
    writeFileSync(junk, 'bm90IGEgY3Ny');
    expect((await enroll(path, junk, bearerAuth)).status).toBe(400);
    const noCn = csrFile('dev-no-cn', { subj: '/O=no common name' });
    const refused = await enroll(path, noCn.file, bearerAuth);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body.toString()).error).toMatch(/CN/);
    const wrongType = await curl(
      tls(...bearerAuth, '-H', 'Content-Type: application/json', '--data-binary', '{}', `${https}${path}`),
    );
    expect(wrongType.status).toBe(415);
  });

  it('refuses certificates of unregistered CAs, expired ones and unverified CAs over mTLS', async () => {
    const root = makeRootCa(dir, 'mtls-root');
    const inter = signWith(dir, root, 'mtls-int', { ext: CA_EXT });
    const good = signWith(dir, inter, 'mtls-good');
    const expired = signWith(dir, inter, 'mtls-expired', { days: -1 });
    // The client sends leaf + intermediate (curl --cert with a chain file).
    const chain = (i: Issued) => {
      const f = join(dir, `${i.name}-chain.pem`);
      writeFileSync(f, i.pem + inter.pem);
      return f;
    };
    const who = (i: Issued) => curl(tls('--cert', chain(i), '--key', i.key, `${https}${WHOAMI}`));
    expect((await who(good)).status).toBe(401); // unregistered CA
    const reg = await mgmt('POST', '/cas', { certificate: root.pem });
    expect((await who(good)).status).toBe(401); // registered, not verified
    const code = reg.json.verification_code as string;
    const proof = signWith(dir, root, 'mtls-proof', { cn: code, ext: 'basicConstraints=CA:FALSE' });
    expect((await mgmt('POST', `/cas/${reg.json.id}/verification`, { certificate: proof.pem })).status).toBe(
      200,
    );
    const ok = await who(good);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body.toString())).toMatchObject({
      ca_id: reg.json.id,
      ca_kind: 'uploaded',
      cn: 'mtls-good',
    });
    expect((await who(expired)).status).toBe(401);
    // Over plain HTTP there is no client certificate.
    expect((await curl([`${server.url}${WHOAMI}`])).status).toBe(401);
  });
});
