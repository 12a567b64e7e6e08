import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { deviceV2Exchange } from '../../src/bootstrap/index.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/core/logger.js';
import type { App } from '../../src/http/types.js';
import { type Gatehouse, openGatehouse } from '../../src/wiring.js';
import { makeSingleFileArtifact, multipartUpload } from '../helpers/artifacts.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys, signBody } from '../helpers/device-client.js';
import { bearer } from '../helpers/gatehouse.js';
import { makeCsr, pkiDir } from '../helpers/openssl.js';

// Logs at trace, the most a server can be told to say, during a full flow: none of the secrets
// used may appear anywhere in them (issue 8). One process logger serves both the request log and
// background work, as in `serve`.

const basic = (user: string, secret: string) =>
  `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
const pathOf = (uri: string) => {
  const u = new URL(uri);
  return `${u.pathname}${u.search}`;
};

describe.each(dialects())('logs at trace on %s', (dialect) => {
  const lines: string[] = [];
  let db: TestDatabase;
  let gh: Gatehouse;
  let app: App;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    const config = loadConfig({ dataDir: db.dataDir, databaseUrl: db.url, logLevel: 'trace' }, {});
    const logger = createLogger('trace', { write: (l) => lines.push(l) });
    gh = await openGatehouse(config, { logger });
    app = await buildApp(gh, { loggerInstance: logger });
  });
  afterAll(async () => {
    await app.close();
    await gh.close();
    await db.drop();
  });

  it('contain none of the secrets of login, upload, deployment, download, bootstrap, EST and webhooks', async () => {
    const secrets: Record<string, string> = {};
    const call = async (opts: InjectOptions, status: number) => {
      const res = await app.inject(opts);
      expect(res.statusCode, `${opts.method} ${opts.url}: ${res.body}`).toBe(status);
      return res;
    };

    // Login, personal access token, password change.
    const { tenant, tenantToken } = await gh.tenants.service.create({ name: `logs-${dialect}` });
    const email = `log-${dialect}@example.com`;
    secrets.password = 'super secret password 42';
    await gh.users.service.create({ tenantId: tenant.id, email, password: secrets.password });
    secrets.basicLogin = basic(email, secrets.password);
    const login = (authorization: string) =>
      call({ method: 'POST', url: '/api/management/v1/useradm/auth/login', headers: { authorization } }, 200);
    secrets.userToken = (await login(secrets.basicLogin)).body;
    secrets.pat = (
      await call(
        {
          method: 'POST',
          url: '/api/management/v1/useradm/settings/tokens',
          headers: bearer(secrets.userToken),
          payload: { name: 'ci' },
        },
        200,
      )
    ).body;
    secrets.newPassword = 'an even more secret password 43';
    await call(
      {
        method: 'PUT',
        url: '/api/management/v1/useradm/users/me',
        headers: bearer(secrets.userToken),
        payload: { password: secrets.newPassword, current_password: secrets.password },
      },
      204,
    );

    // Artifact upload (multipart, streamed) with the personal access token... which the password
    // change ended: a new one, made with the session that changed it.
    secrets.pat2 = (
      await call(
        {
          method: 'POST',
          url: '/api/management/v1/useradm/settings/tokens',
          headers: bearer(secrets.userToken),
          payload: { name: 'ci-2' },
        },
        200,
      )
    ).body;
    const artifact = readFileSync(
      makeSingleFileArtifact({ name: 'log-release', deviceTypes: ['log-board'] }),
    );
    const upload = await multipartUpload(artifact, { description: 'logs' });
    const uploaded = await call(
      {
        method: 'POST',
        url: '/api/management/v1/deployments/artifacts',
        headers: { ...bearer(secrets.pat2), 'content-type': upload.contentType },
        payload: upload.body,
      },
      201,
    );
    const artifactId = String(uploaded.headers.location).split('/').pop() as string;
    const userLink = (
      await call(
        {
          method: 'GET',
          url: `/api/management/v1/deployments/artifacts/${artifactId}/download`,
          headers: bearer(secrets.pat2),
        },
        200,
      )
    ).json() as { uri: string };
    secrets.userLinkSignature = new URL(userLink.uri).searchParams.get('signature') as string;
    await call({ method: 'GET', url: pathOf(userLink.uri) }, 200);

    // A device of the tenant: auth request (tenant token, X-MEN-Signature), accepted, inventory.
    secrets.tenantToken = tenantToken;
    const keys = makeDeviceKeys();
    const auth = authRequest(keys, { mac: 'log' }, { tenantToken });
    secrets.menSignature = auth.headers['x-men-signature'] as string;
    await call(auth, 401);
    const [dev] = (await gh.devauth.admin.listDevices(tenant.id, { page: { page: 1, perPage: 1 } })).devices;
    await gh.devauth.admin.setAuthSetStatus(
      tenant.id,
      dev?.id as string,
      dev?.authSets[0]?.id as string,
      'accepted',
    );
    secrets.deviceToken = (await call(auth, 200)).body;
    await call(
      {
        method: 'PUT',
        url: '/api/devices/v1/inventory/device/attributes',
        headers: bearer(secrets.deviceToken),
        payload: [{ name: 'device_type', value: 'log-board' }],
      },
      200,
    );

    // Deployment, the device's poll, and its download through the signed link.
    await call(
      {
        method: 'POST',
        url: '/api/management/v1/deployments/deployments',
        headers: bearer(secrets.userToken),
        payload: { name: 'logs', artifact_name: 'log-release', devices: [dev?.id] },
      },
      201,
    );
    const next = (
      await call(
        {
          method: 'GET',
          url: '/api/devices/v1/deployments/device/deployments/next?artifact_name=old&device_type=log-board',
          headers: bearer(secrets.deviceToken),
        },
        200,
      )
    ).json() as { artifact: { source: { uri: string } } };
    const link = next.artifact.source.uri;
    secrets.deviceLinkSignature = new URL(link).searchParams.get('signature') as string;
    const download = await call({ method: 'GET', url: pathOf(link), headers: { range: 'bytes=0-9' } }, 206);
    expect(download.rawPayload).toHaveLength(10);

    // Bootstrap: plain (Client <external key>) and v2 (challenge, proof), with secrets in the config.
    secrets.externalKey = 'bootstrap external key 0123456789';
    secrets.clientSecret = 'bootstrap client secret 0123456789';
    secrets.clientKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const created = await call(
      {
        method: 'POST',
        url: `/bootstrap/${tenant.id}/clients/configs`,
        headers: bearer(secrets.userToken),
        payload: {
          external_id: 'log-external-id',
          external_key: secrets.externalKey,
          client_secret: secrets.clientSecret,
          client_key: secrets.clientKey,
          content: 'logs',
        },
      },
      201,
    );
    const configId = String(created.headers.location).split('/').pop() as string;
    await call(
      {
        method: 'PUT',
        url: `/bootstrap/${tenant.id}/clients/state/${configId}`,
        headers: bearer(secrets.userToken),
        payload: { state: 1 },
      },
      200,
    );
    await call(
      {
        method: 'GET',
        url: '/bootstrap/clients/bootstrap/log-external-id',
        headers: { authorization: `Client ${secrets.externalKey}` },
      },
      200,
    );
    const challenge = (
      await call(
        {
          method: 'POST',
          url: `/bootstrap/v2/${tenant.id}/challenges`,
          payload: { external_id: 'log-external-id' },
        },
        200,
      )
    ).json() as { challenge_id: string; server_nonce: string };
    const exchange = deviceV2Exchange({
      tenantId: tenant.id,
      externalId: 'log-external-id',
      externalKey: secrets.externalKey,
      challengeId: challenge.challenge_id,
      serverNonce: Buffer.from(challenge.server_nonce, 'base64url'),
    });
    secrets.v2Proof = exchange.body.proof;
    await call({ method: 'POST', url: `/bootstrap/v2/${tenant.id}/configs`, payload: exchange.body }, 200);

    // EST enrollment with an enrollment credential (HTTP Basic).
    await call(
      {
        method: 'POST',
        url: '/api/management/v1/pki/builtin-ca',
        headers: bearer(secrets.userToken),
        payload: { key_type: 'ec-p256' },
      },
      201,
    );
    secrets.credentialSecret = (
      (
        await call(
          {
            method: 'POST',
            url: '/api/management/v1/pki/enrollment-credentials',
            headers: bearer(secrets.userToken),
            payload: { name: 'factory-line', max_uses: 1 },
          },
          201,
        )
      ).json() as { secret: string }
    ).secret;
    secrets.estBasic = basic('factory-line', secrets.credentialSecret);
    const csr = makeCsr(pkiDir(), `log-est-${dialect}`, { cn: 'log-est' });
    secrets.csr = csr.der.toString('base64');
    secrets.csrKey = readFileSync(csr.key, 'utf8');
    await call(
      {
        method: 'POST',
        url: `/.well-known/est/${tenant.id}/simpleenroll`,
        headers: { authorization: secrets.estBasic, 'content-type': 'application/pkcs10' },
        payload: secrets.csr,
      },
      200,
    );

    // Webhooks: event subscription and allocation webhook, each answered with its secret once.
    const hook = await call(
      {
        method: 'POST',
        url: '/api/management/v1/webhooks',
        headers: bearer(secrets.userToken),
        payload: { url: 'https://hooks.example.com/gatehouse', event_types: ['*'] },
      },
      201,
    );
    secrets.webhookSecret = (hook.json() as { secret: string }).secret;
    const allocation = await call(
      {
        method: 'POST',
        url: '/api/management/v1/allocation-webhooks',
        headers: bearer(secrets.userToken),
        payload: { url: 'https://hooks.example.com/allocate' },
      },
      201,
    );
    secrets.allocationSecret = (allocation.json() as { secret: string }).secret;

    // A request Node's HTTP parser refuses: Fastify logs the parser error, raw bytes included, at trace.
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () =>
        s.write(`GET / HTTP/1.1\r\nHost: x\r\nAuthorization: ${secrets.basicLogin}\r\nbroken header\r\n\r\n`),
      );
      s.on('data', () => s.end());
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    await gh.bootstrap.flushEvents();

    const all = lines.join('');
    // The flow was logged at trace, including the lines that used to carry secrets.
    expect(all).toContain('incoming request');
    expect(all).toContain('Providing options to busboy');
    expect(all).toContain('client error');
    expect(all).toContain('/api/devices/v1/deployments/download/artifacts/');
    expect(all).toContain('signature=[redacted]');
    expect(Object.keys(secrets).length).toBeGreaterThan(20);
    for (const [name, secret] of Object.entries(secrets)) {
      expect(secret.length, name).toBeGreaterThanOrEqual(16);
      expect(all.includes(secret), `${name} is in the log`).toBe(false);
    }
    // The parser error's raw bytes (headers included) would be logged as a byte array.
    const clientError = lines
      .map((l) => JSON.parse(l) as { msg: string; err?: { rawPacket?: unknown } })
      .find((l) => l.msg === 'client error');
    expect(clientError?.err?.rawPacket).toBe('[redacted]');
    // The signature of the device's auth request, recomputed, and the Basic credentials' parts.
    expect(all).not.toContain(signBody(keys, auth.payload));
    expect(all).not.toContain(Buffer.from(`${email}:${secrets.password}`).toString('base64'));
  }, 120_000);
});
