import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { makeSingleFileArtifact, multipartUpload } from '../helpers/artifacts.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer, type TestServer } from '../helpers/gatehouse.js';
import type { Operation } from '../helpers/openapi-inputs.js';
import { makeCsr, makeRootCa, pkiDir } from '../helpers/openssl.js';
import { jwtPayload } from '../helpers/rows.js';

/**
 * One of every resource, created through the API, so that each route of the bad-input suite
 * gets a real id in its path and reaches its body handling; and the credentials each audience
 * needs (admin token, device token, Basic, enrollment credential, bootstrap key).
 */
export interface Fixtures {
  headersFor(op: Operation): Record<string, string>;
  /**
   * The path of `op` with a real value in each parameter (throws for one the suite does not
   * know), or the given raw (already percent-encoded) text instead.
   */
  pathFor(op: Operation, raw?: Record<string, string>): string;
  paramValue(op: Operation, name: string): string;
  /** Query parameters an operation needs to reach its checks (the download link's signature). */
  baseQuery(op: Operation): Record<string, string>;
  /** Whether the admin and device tokens still work (no probe may have logged them out). */
  credentialsWork(): Promise<boolean>;
}

const MGMT = '/api/management/v1';

export const createFixtures = async (t: TestServer): Promise<Fixtures> => {
  const call = async (
    opts: InjectOptions & { expect?: number },
    token = admin.token,
  ): Promise<LightMyRequestResponse> => {
    const res = await t.app.inject({ ...opts, headers: { ...bearer(token), ...opts.headers } });
    expect(res.statusCode, `${opts.method} ${opts.url}: ${res.body}`).toBe(opts.expect ?? 201);
    return res;
  };
  const idFromLocation = (res: LightMyRequestResponse) =>
    String(res.headers.location).split('/').pop() as string;
  const admin = await adminToken(t.gh);
  const tenant = DEFAULT_TENANT_ID;

  // A device, accepted, with its token (whose id is the jti) and a group.
  const keys = makeDeviceKeys();
  const identity = { mac: '02:00:00:00:0b:ad' };
  expect((await t.app.inject(authRequest(keys, identity))).statusCode).toBe(401);
  const [device] = (await t.gh.devauth.admin.listDevices(tenant, { page: { page: 1, perPage: 1 } })).devices;
  const deviceId = device?.id as string;
  const authSetId = device?.authSets[0]?.id as string;
  await t.gh.devauth.admin.setAuthSetStatus(tenant, deviceId, authSetId, 'accepted');
  const deviceToken = (await t.app.inject(authRequest(keys, identity))).body;
  const deviceTokenId = String(jwtPayload(deviceToken).jti);
  await call({
    method: 'PUT',
    url: `${MGMT}/inventory/devices/${deviceId}/group`,
    payload: { group: 'g1' },
    expect: 204,
  });

  const userId = idFromLocation(
    await call({
      method: 'POST',
      url: `${MGMT}/useradm/users`,
      payload: { email: 'second@example.com', password: 'another long password' },
    }),
  );
  await call({
    method: 'POST',
    url: `${MGMT}/useradm/settings/tokens`,
    payload: { name: 'pat' },
    expect: 200,
  });
  const pats = await call({ method: 'GET', url: `${MGMT}/useradm/settings/tokens`, expect: 200 });
  const patId = (pats.json() as { id: string }[])[0]?.id as string;

  // An artifact, a deployment of it to the device, and a signed download link.
  const artifact = readFileSync(makeSingleFileArtifact({ name: 'bad-input-1', deviceTypes: ['qemu'] }));
  const form = await multipartUpload(artifact);
  const artifactId = idFromLocation(
    await call({
      method: 'POST',
      url: `${MGMT}/deployments/artifacts`,
      headers: { 'content-type': form.contentType },
      payload: form.body,
    }),
  );
  const deploymentId = idFromLocation(
    await call({
      method: 'POST',
      url: `${MGMT}/deployments/deployments`,
      payload: { name: 'd1', artifact_name: 'bad-input-1', devices: [deviceId] },
    }),
  );
  const link = await call({
    method: 'GET',
    url: `${MGMT}/deployments/artifacts/${artifactId}/download`,
    expect: 200,
  });
  const download = new URL((link.json() as { uri: string }).uri);

  // Bootstrap: a channel and an enabled config (its external key answers the device routes).
  const channelId = (
    await call({ method: 'POST', url: `/bootstrap/${tenant}/channels`, payload: { name: 'c1' } })
  ).json().id as string;
  const externalId = 'bad-input-ext-1';
  const externalKey = 'bad-input-key-1';
  const configId = idFromLocation(
    await call({
      method: 'POST',
      url: `/bootstrap/${tenant}/clients/configs`,
      payload: { external_id: externalId, external_key: externalKey, channels: [channelId] },
    }),
  );
  await call({
    method: 'PUT',
    url: `/bootstrap/${tenant}/clients/state/${configId}`,
    payload: { state: 1 },
    expect: 200,
  });

  // PKI: the built-in CA, a certificate it issued, an enrollment credential, an uploaded CA.
  const dir = pkiDir();
  await call({ method: 'POST', url: `${MGMT}/pki/builtin-ca`, payload: { key_type: 'ec-p256' } });
  const csr = readFileSync(makeCsr(dir, 'bad-input-cert', { kind: 'ec' }).csr, 'utf8');
  const serial = (await call({ method: 'POST', url: `${MGMT}/pki/certificates`, payload: { csr } })).json()
    .serial as string;
  const credential = (
    await call({ method: 'POST', url: `${MGMT}/pki/enrollment-credentials`, payload: { name: 'line-1' } })
  ).json() as { id: string; secret: string; name: string };
  const caId = idFromLocation(
    await call({
      method: 'POST',
      url: `${MGMT}/pki/cas`,
      payload: { certificate: makeRootCa(dir, 'bad-input-ca').pem },
    }),
  );

  // Webhooks (subscribed to one event type, so failure events do not fan out) and enrollment.
  const webhookId = idFromLocation(
    await call({
      method: 'POST',
      url: `${MGMT}/webhooks`,
      payload: { url: 'http://127.0.0.1:9/hook', event_types: ['deployment.finished'] },
    }),
  );
  const allocationId = idFromLocation(
    await call({
      method: 'POST',
      url: `${MGMT}/allocation-webhooks`,
      payload: { url: 'http://127.0.0.1:9/alloc' },
    }),
  );
  const groupId = idFromLocation(
    await call({ method: 'POST', url: `${MGMT}/enrollment/groups`, payload: { name: 'eg1', ca_id: caId } }),
  );
  const individualId = idFromLocation(
    await call({
      method: 'POST',
      url: `${MGMT}/enrollment/individuals`,
      payload: { registration_id: 'reg-1' },
    }),
  );

  const factoryId = idFromLocation(
    await call({
      method: 'POST',
      url: '/api/management/v2/devauth/factories',
      payload: {
        name: 'line-1',
        public_key: generateKeyPairSync('ed25519')
          .publicKey.export({ type: 'spki', format: 'pem' })
          .toString(),
      },
    }),
  );
  // Staged, never run (no import worker here): its id is what the probes need.
  const importId = idFromLocation(
    await call({
      method: 'POST',
      url: '/api/management/v2/devauth/imports?allow_unsigned=true&format=jsonl',
      headers: { 'content-type': 'application/jsonl' },
      payload: '{"identity":{"sn":"bad-input-1"},"pubkey":"x"}\n',
      expect: 202,
    }),
  );

  /** Path parameter values, by path prefix (longest first) and name. */
  const byPrefix: [string, Record<string, string>][] = [
    [`${MGMT}/deployments/artifacts`, { id: artifactId }],
    [`${MGMT}/deployments/deployments`, { id: deploymentId, devid: deviceId, name: 'g1' }],
    [`${MGMT}/deployments/deployments/devices`, { id: deviceId }],
    ['/api/management/v2/devauth/devices', { id: deviceId, aid: authSetId }],
    ['/api/management/v2/devauth/tokens', { id: deviceTokenId }],
    ['/api/management/v2/devauth/limits', { name: 'max_devices' }],
    ['/api/management/v2/deployments/deployments/releases', { release_name: 'bad-input-1' }],
    ['/api/management/v2/inventory/filters', { id: '5f3b8d4e-9c1a-4b3c-8d5e-6f7000000001' }],
    ['/api/management/v2/devauth/factories', { id: factoryId }],
    ['/api/management/v2/devauth/imports', { id: importId }],
    [`${MGMT}/useradm/users`, { id: userId }],
    [`${MGMT}/useradm/settings/tokens`, { id: patId }],
    [`${MGMT}/inventory/devices`, { id: deviceId, name: 'g1' }],
    [`${MGMT}/inventory/groups`, { name: 'g1' }],
    [`${MGMT}/pki/cas`, { id: caId }],
    [`${MGMT}/pki/certificates`, { serial }],
    [`${MGMT}/pki/enrollment-credentials`, { id: credential.id }],
    [`${MGMT}/webhooks`, { id: webhookId }],
    [`${MGMT}/allocation-webhooks`, { id: allocationId }],
    [`${MGMT}/enrollment/groups`, { id: groupId }],
    [`${MGMT}/enrollment/individuals`, { id: individualId }],
    [`${MGMT}/enrollment/registrations`, { device_id: deviceId }],
    ['/api/devices/v1/deployments/device/deployments', { id: deploymentId }],
    ['/api/devices/v1/deployments/download/artifacts', { id: artifactId }],
    ['/bootstrap/clients/bootstrap', { external_id: externalId }],
    ['/bootstrap/v2', { domainID: tenant }],
    ['/bootstrap/{domainID}/channels', { domainID: tenant, channelID: channelId }],
    ['/bootstrap/{domainID}', { domainID: tenant, configID: configId }],
    ['/.well-known/est', { tenantId: tenant }],
    ['/pki', { tenantId: tenant }],
  ];

  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  /** Routes that authenticate on their own: what a genuine client of each sends. */
  const ownCredentials: Record<string, Record<string, string>> = {
    'POST /api/management/v1/useradm/auth/login': { authorization: basic(admin.email, admin.password) },
    'POST /api/devices/v1/authentication/auth_requests': { 'x-men-signature': 'AAAA' },
    'GET /bootstrap/clients/bootstrap/{external_id}': { authorization: `Client ${externalKey}` },
    'GET /bootstrap/clients/bootstrap/': { authorization: `Client ${externalKey}` },
    'GET /bootstrap/clients/bootstrap/secure/{external_id}': { authorization: `Client ${externalKey}` },
    'POST /.well-known/est/simpleenroll': { authorization: basic(credential.name, credential.secret) },
    'POST /.well-known/est/{tenantId}/simpleenroll': {
      authorization: basic(credential.name, credential.secret),
    },
    'POST /.well-known/est/simplereenroll': { authorization: basic(credential.name, credential.secret) },
    'POST /.well-known/est/{tenantId}/simplereenroll': {
      authorization: basic(credential.name, credential.secret),
    },
  };
  /** Public routes: nothing to present (or, like bootstrap v2, proof inside the body). */
  const open = new Set([
    'GET /.well-known/jwks.json',
    'GET /api/health',
    'GET /api/health/ready',
    'GET /api/devices/v1/deployments/download/artifacts/{id}',
    'POST /bootstrap/v2/{domainID}/challenges',
    'POST /bootstrap/v2/{domainID}/configs',
    'GET /.well-known/est/cacerts',
    'GET /.well-known/est/{tenantId}/cacerts',
    'GET /api/devices/v1/pki/client-certificate',
    'GET /pki/{tenantId}/crl',
  ]);

  const paramValue = (op: Operation, name: string): string => {
    const values = byPrefix
      .filter(([prefix]) => op.path.startsWith(prefix))
      .sort((a, b) => b[0].length - a[0].length)[0]?.[1];
    const v = values?.[name];
    if (v === undefined) throw new Error(`the bad-input suite has no value for {${name}} of ${op.key}`);
    return v;
  };

  return {
    headersFor(op) {
      if (op.bearer) return bearer(op.path.startsWith('/api/devices/') ? deviceToken : admin.token);
      const own = ownCredentials[op.key];
      if (own) return own;
      if (open.has(op.key)) return {};
      throw new Error(`the bad-input suite does not know how to authenticate ${op.key}`);
    },
    paramValue,
    pathFor(op, raw = {}) {
      return op.path.replace(
        /\{([^}]+)\}/g,
        (_m, name: string) => raw[name] ?? encodeURIComponent(paramValue(op, name)),
      );
    },
    async credentialsWork() {
      const user = await t.app.inject({
        method: 'GET',
        url: `${MGMT}/useradm/users`,
        headers: bearer(admin.token),
      });
      const dev = await t.app.inject({
        method: 'GET',
        url: '/api/devices/v1/bootstrap/config',
        headers: bearer(deviceToken),
      });
      return user.statusCode === 200 && dev.statusCode !== 401;
    },
    baseQuery(op) {
      return op.key === 'GET /api/devices/v1/deployments/download/artifacts/{id}'
        ? Object.fromEntries(download.searchParams)
        : {};
    },
  };
};
