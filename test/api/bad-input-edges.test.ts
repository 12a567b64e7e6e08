import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/app.js';
import {
  manifestWith,
  readTarBuffer,
  writeTarBuffer,
} from '../../src/deployments/artifact/artifact-test-repack.js';
import { tempUploadFiles } from '../e2e/helpers/ota.js';
import { allRowCounts } from '../helpers/all-rows.js';
import { makeSingleFileArtifact, multipartUpload } from '../helpers/artifacts.js';
import { dialects } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

// Bad input the OpenAPI-driven suite cannot generate from schemas: content inside an uploaded
// artifact, a certificate request or a signed auth request; and the answer to a fault that is
// not the client's (a generic 500, logged with its request id).

const MGMT = '/api/management/v1';

/** A CSR whose CN is a UTF8String holding U+0000 (openssl will not write one). */
const csrWithNulCn = async (): Promise<{ pem: string; der: Buffer }> => {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: new x509.Name([{ '2.5.4.3': [{ utf8String: 'dev\u0000ice' }] }]),
    keys: keys as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'],
    signingAlgorithm: alg,
  });
  return { pem: csr.toString('pem'), der: Buffer.from(csr.rawData) };
};

/** A real artifact whose headers/0000/meta-data is replaced (manifest fixed, as a forger would). */
const artifactWithMetaData = async (name: string, metaData: string | Buffer): Promise<Buffer> => {
  const outer = await readTarBuffer(
    readFileSync(makeSingleFileArtifact({ name, deviceTypes: ['qemu'], compression: 'none' })),
  );
  const member = (n: string) => outer.find((f) => f.name === n) as { data: Buffer };
  const header = await readTarBuffer(member('header.tar').data);
  const meta = header.find((f) => f.name === 'headers/0000/meta-data');
  if (meta) meta.data = Buffer.from(metaData);
  else header.push({ name: 'headers/0000/meta-data', data: Buffer.from(metaData) });
  const headerTar = await writeTarBuffer(header);
  member('header.tar').data = headerTar;
  member('manifest').data = manifestWith(member('manifest').data, { 'header.tar': headerTar });
  return writeTarBuffer(outer);
};

describe.each(dialects())('bad input inside uploads, CSRs and signed requests on %s', (dialect) => {
  let t: TestServer;
  let token: string;
  const lines: string[] = [];

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, { logger: loggerOptions('info', { write: (l) => lines.push(l) }) });
    // A route that fails the way a bug would, to see the answer to an unexpected error.
    t.app.get('/test/unexpected', async () => {
      throw new Error('db password=hunter2 in a message that must stay private');
    });
    t.app.get('/test/stack-overflow', async () => {
      const recurse = (n: number): number => recurse(n + 1) + 1;
      return { n: recurse(0) };
    });
    token = (await adminToken(t.gh)).token;
  });
  afterAll(async () => t?.close());

  it('answers an unexpected error with a generic 500 that names the request, and logs it', async () => {
    for (const url of ['/test/unexpected', '/test/stack-overflow']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(500);
      const id = res.headers['x-men-requestid'];
      expect(res.json()).toEqual({ error: 'internal error', request_id: id });
      expect(res.body).not.toMatch(/hunter2|Maximum call stack/);
      const logged = lines.map((l) => JSON.parse(l)).find((l) => l.reqId === id && l.level === 50);
      expect(logged, `an error log line for ${url}`).toMatchObject({ msg: 'unhandled error' });
      expect(logged.err.message).toMatch(url === '/test/unexpected' ? /hunter2/ : /call stack/);
    }
  });

  it('refuses artifacts whose header JSON holds NUL, too deep nesting or invalid UTF-8, and keeps nothing', async () => {
    const before = await allRowCounts(t.gh);
    const cases: [string, string | Buffer, RegExp][] = [
      [
        'utf8-meta',
        Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
        /meta-data: not valid UTF-8/,
      ],
      ['nul-meta', JSON.stringify({ a: { b: ['x\u0000y'] } }), /meta-data: strings must not contain NUL/],
      [
        'deep-meta',
        `{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
        /meta-data: JSON nested deeper than 32/,
      ],
    ];
    for (const [name, meta, message] of cases) {
      const { body, contentType } = await multipartUpload(await artifactWithMetaData(name, meta));
      const res = await t.app.inject({
        method: 'POST',
        url: `${MGMT}/deployments/artifacts`,
        headers: { ...bearer(token), 'content-type': contentType },
        payload: body,
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error).toMatch(message);
    }
    expect(await allRowCounts(t.gh)).toEqual(before);
    expect(tempUploadFiles(join(t.db.dataDir, 'blobs'))).toEqual([]);
  });

  it('refuses a CSR whose subject holds NUL, on the management API and over EST', async () => {
    await t.app.inject({
      method: 'POST',
      url: `${MGMT}/pki/builtin-ca`,
      headers: bearer(token),
      payload: {},
    });
    const cred = await t.app.inject({
      method: 'POST',
      url: `${MGMT}/pki/enrollment-credentials`,
      headers: bearer(token),
      payload: { name: 'nul-line' },
    });
    expect(cred.statusCode).toBe(201);
    const { name, secret } = cred.json() as { name: string; secret: string };
    const before = await allRowCounts(t.gh);
    const csr = await csrWithNulCn();
    const mgmt = await t.app.inject({
      method: 'POST',
      url: `${MGMT}/pki/certificates`,
      headers: bearer(token),
      payload: { csr: csr.pem },
    });
    expect(mgmt.statusCode, mgmt.body).toBe(400);
    expect(mgmt.json().error).toMatch(/NUL/);
    const est = await t.app.inject({
      method: 'POST',
      url: '/.well-known/est/simpleenroll',
      headers: {
        'content-type': 'application/pkcs10',
        authorization: `Basic ${Buffer.from(`${name}:${secret}`).toString('base64')}`,
      },
      payload: csr.der.toString('base64'),
    });
    expect(est.statusCode, est.body).toBe(400);
    expect(est.json().error).toMatch(/NUL/);
    expect(await allRowCounts(t.gh)).toEqual(before);
  });

  it('lets path parameters as long as their schema allows reach their route, and refuses longer ones with 400', async () => {
    const group = (name: string) =>
      t.app.inject({
        method: 'GET',
        url: `${MGMT}/inventory/groups/${name}/devices`,
        headers: bearer(token),
      });
    // An unknown group: the route itself answers (before, the router refused anything over 100).
    expect((await group('g'.repeat(1024))).statusCode).toBe(404);
    const tooLong = await group('g'.repeat(1025));
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().error).toMatch(/name/);
    const bootstrap = await t.app.inject({
      method: 'GET',
      url: `/bootstrap/clients/bootstrap/${'e'.repeat(256)}`,
      headers: { authorization: 'Client wrong-key' },
    });
    expect(bootstrap.statusCode).toBe(403);
  });

  it('refuses NUL anywhere in a signed auth request (identity names and values, tenant token)', async () => {
    const before = await allRowCounts(t.gh);
    const keys = makeDeviceKeys();
    for (const req of [
      authRequest(keys, { 'mac\u0000': 'x' }),
      authRequest(keys, { mac: 'x', nested: [{ a: 'b\u0000' }] }),
      authRequest(keys, { mac: 'x' }, { tenantToken: 'tok\u0000en' }),
    ]) {
      const res = await t.app.inject(req);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error).toMatch(/NUL/);
    }
    expect(await allRowCounts(t.gh)).toEqual(before);
  });
});
