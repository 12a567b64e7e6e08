import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { HttpSender } from '../../src/webhooks/index.js';
import { fanOutBatch } from '../../src/webhooks/webhooks-repo-fanout.js';
import { openGatehouse } from '../../src/wiring.js';
import { makeSingleFileArtifact, multipartUpload } from '../helpers/artifacts.js';
import { createTestDatabase, type DialectName } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer, type TestServer } from '../helpers/gatehouse.js';
import { makeCsr, makeRootCa, pkiDir, signWith } from '../helpers/openssl.js';
import { jwtPayload } from '../helpers/rows.js';
import { certAuth, proxyFlags } from './enrollment-setup.js';
import { PKI, registerVerifiedCa } from './pki-setup.js';

// Two tenants, each holding one of every kind of resource, for the cross-tenant suites: every id
// of tenant B is then tried as a caller of tenant A, next to a random id of the same shape.

type LightResponse = LightMyRequestResponse;

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface TenantWorld {
  id: string;
  tenantToken: string;
  admin: string;
  adminUserId: string;
  otherUserId: string;
  patId: string;
  devices: { accepted: string; pending: string; preauthorized: string; rejected: string; noauth: string };
  authSets: { accepted: string; pending: string; rejected: string; preauthorized: string };
  deviceToken: string;
  deviceTokenId: string;
  group: string;
  artifactName: string;
  artifactId: string;
  deploymentId: string;
  channelId: string;
  configId: string;
  externalId: string;
  caId: string;
  builtinCaId: string;
  certificateSerial: string;
  credentialId: string;
  allocationWebhookId: string;
  enrollmentGroupId: string;
  individualId: string;
  registrationDeviceId: string;
  webhookId: string;
  factoryId: string;
  importId: string;
  eventId: string;
  /** A signed download link (A's artifact) as a device gets it. */
  downloadUrl: string;
}

export interface World {
  t: TestServer;
  a: TenantWorld;
  b: TenantWorld;
  /** How many outbound webhook calls were made so far. */
  sent(): number;
  call(token: string, method: Method, url: string, payload?: unknown): Promise<LightResponse>;
}

/** Answers every outbound webhook call with a 500 (nothing leaves the test), counting them. */
const refusingSender =
  (counter: { n: number }): HttpSender =>
  async () => {
    counter.n += 1;
    return {
      statusCode: 500,
      body: Buffer.alloc(0),
      truncated: false,
      error: null,
      timedOut: false,
      aborted: false,
      durationMs: 1,
    };
  };

export const DEPLOY = '/api/management/v1/deployments';
export const DEVICE_DEPLOY = '/api/devices/v1/deployments/device/deployments';
export const DEVAUTH = '/api/management/v2/devauth';
export const INVENTORY = '/api/management/v1/inventory';
export const ENROLL = '/api/management/v1/enrollment';

export const buildWorld = async (dialect: DialectName): Promise<World> => {
  const db = await createTestDatabase(dialect);
  const config = loadConfig(
    {
      dataDir: db.dataDir,
      databaseUrl: db.url,
      ...proxyFlags,
      webhookSettleMs: '0',
      webhookMaxAttempts: '1',
    },
    {},
  );
  const outbound = { n: 0 };
  const gh = await openGatehouse(config, { webhookSender: refusingSender(outbound) });
  const app = await buildApp(gh);
  const t: TestServer = {
    gh,
    app,
    db,
    config,
    close: async () => {
      await app.close();
      await gh.close();
      await db.drop();
    },
  };
  const call: World['call'] = (token, method, url, payload) =>
    app.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const ok = async (res: LightResponse, status: number) => {
    expect(res.statusCode, `${res.statusCode} ${res.body}`).toBe(status);
    return res;
  };
  const dir = pkiDir();
  const artifact = readFileSync(
    makeSingleFileArtifact({ name: `xt-${dialect}`, deviceTypes: ['xt-board'], compression: 'none' }),
  );

  const tenantWorld = async (label: 'a' | 'b'): Promise<TenantWorld> => {
    const { tenant, tenantToken } = await gh.tenants.service.create({ name: `tenant-${label}` });
    const admin = await adminToken(gh, { tenantId: tenant.id });
    const api = (method: Method, url: string, payload?: unknown) => call(admin.token, method, url, payload);

    const other = await ok(
      await api('POST', '/api/management/v1/useradm/users', {
        email: `other-${label}-${randomUUID()}@example.com`,
        password: 'another long password',
      }),
      201,
    );
    await ok(await api('POST', '/api/management/v1/useradm/settings/tokens', { name: `pat-${label}` }), 200);
    const pats = (await api('GET', '/api/management/v1/useradm/settings/tokens')).json() as { id: string }[];

    // Devices in every status, each with its auth set.
    const deviceOf = async (identity: Record<string, unknown>) =>
      (
        (await api('GET', `${DEVAUTH}/devices?per_page=500`)).json() as {
          id: string;
          identity_data: Record<string, unknown>;
          auth_sets: { id: string }[];
        }[]
      ).find((d) => JSON.stringify(d.identity_data) === JSON.stringify(identity)) as {
        id: string;
        auth_sets: { id: string }[];
      };
    const preauth = async (mac: string) => {
      const keys = makeDeviceKeys();
      await ok(
        await api('POST', `${DEVAUTH}/devices`, { identity_data: { mac }, pubkey: keys.publicPem }),
        201,
      );
      return { keys, device: await deviceOf({ mac }) };
    };
    const accepted = await preauth(`acc-${label}`);
    const tokenRes = await app.inject(authRequest(accepted.keys, { mac: `acc-${label}` }, { tenantToken }));
    await ok(tokenRes, 200);
    const deviceToken = tokenRes.body;
    const preauthorized = await preauth(`pre-${label}`);
    const knock = async (mac: string) => {
      const keys = makeDeviceKeys();
      await ok(await app.inject(authRequest(keys, { mac }, { tenantToken })), 401);
      return deviceOf({ mac });
    };
    const pending = await knock(`pend-${label}`);
    const rejected = await knock(`rej-${label}`);
    const rejectedSet = rejected.auth_sets[0]?.id as string;
    await ok(
      await api('PUT', `${DEVAUTH}/devices/${rejected.id}/auth/${rejectedSet}/status`, {
        status: 'rejected',
      }),
      204,
    );
    const noauth = await knock(`noauth-${label}`);
    await ok(await api('DELETE', `${DEVAUTH}/devices/${noauth.id}/auth/${noauth.auth_sets[0]?.id}`), 204);

    // Inventory: a report, tags and a static group.
    const device = (method: Method, url: string, payload?: unknown) =>
      call(deviceToken, method, url, payload);
    await ok(
      await device('PATCH', '/api/devices/v1/inventory/device/attributes', [
        { name: 'device_type', value: 'xt-board' },
        { name: 'artifact_name', value: 'factory' },
      ]),
      200,
    );
    await ok(
      await api('PUT', `${INVENTORY}/devices/${accepted.device.id}/tags`, [{ name: 'site', value: label }]),
      200,
    );
    const group = `grp-${label}`;
    await ok(await api('PUT', `${INVENTORY}/devices/${accepted.device.id}/group`, { group }), 204);

    // An artifact (same name in both tenants), a deployment, a device log.
    const { body, contentType } = await multipartUpload(artifact, { description: label });
    const up = await app.inject({
      method: 'POST',
      url: `${DEPLOY}/artifacts`,
      headers: { ...bearer(admin.token), 'content-type': contentType },
      payload: body,
    });
    await ok(up, 201);
    const artifactId = String(up.headers.location).split('/').pop() as string;
    const dep = await ok(
      await api('POST', `${DEPLOY}/deployments`, {
        name: `dep-${label}`,
        artifact_name: `xt-${dialect}`,
        devices: [accepted.device.id],
      }),
      201,
    );
    const deploymentId = String(dep.headers.location).split('/').pop() as string;
    const next = await ok(
      await device('POST', `${DEVICE_DEPLOY}/next`, { artifact_name: 'factory', device_type: 'xt-board' }),
      200,
    );
    const downloadUrl = (next.json() as { artifact: { source: { uri: string } } }).artifact.source.uri;
    await ok(await device('PUT', `${DEVICE_DEPLOY}/${deploymentId}/status`, { status: 'downloading' }), 204);
    await ok(
      await device('PUT', `${DEVICE_DEPLOY}/${deploymentId}/log`, {
        messages: [{ timestamp: '2026-01-01T00:00:00Z', level: 'info', message: `log of ${label}` }],
      }),
      204,
    );

    // Bootstrap: a channel and a config listing it, linked to the accepted device, enabled.
    const bs = (method: Method, path: string, payload?: unknown) =>
      api(method, `/bootstrap/${tenant.id}${path}`, payload);
    const channel = await ok(await bs('POST', '/channels', { name: `chan-${label}` }), 201);
    const channelId = (channel.json() as { id: string }).id;
    const externalId = `ext-${label}-${randomBytes(4).toString('hex')}`;
    const cfg = await ok(
      await bs('POST', '/clients/configs', {
        external_id: externalId,
        external_key: `key-${label}-${randomBytes(8).toString('hex')}`,
        channels: [channelId],
        name: `cfg-${label}`,
        device_id: accepted.device.id,
      }),
      201,
    );
    const configId = String(cfg.headers.location).slice('/clients/configs/'.length);
    await ok(await bs('PUT', `/clients/state/${configId}`, { state: 1 }), 200);

    // PKI: a verified uploaded CA, the built-in CA, an issued certificate, an EST credential.
    const root = makeRootCa(dir, `xt-root-${label}-${dialect}`);
    const caId = await registerVerifiedCa(app, admin.token, dir, root);
    const builtin = await ok(await api('POST', `${PKI}/builtin-ca`, {}), 201);
    const csr = readFileSync(makeCsr(dir, `xt-api-${label}`).csr, 'utf8');
    const cert = await ok(await api('POST', `${PKI}/certificates`, { csr }), 201);
    const cred = await ok(await api('POST', `${PKI}/enrollment-credentials`, { name: `est-${label}` }), 201);

    // Enrollment: a group on the uploaded CA, an individual enrollment in it, a device admitted by
    // certificate (its registration), then an allocation webhook on the group.
    const eg = await ok(await api('POST', `${ENROLL}/groups`, { name: `eg-${label}`, ca_id: caId }), 201);
    const enrollmentGroupId = (eg.json() as { id: string }).id;
    const leaf = signWith(dir, root, `xt-leaf-${label}-${dialect}`);
    const ind = await ok(
      await api('POST', `${ENROLL}/individuals`, { registration_id: leaf.name, group_id: enrollmentGroupId }),
      201,
    );
    await ok(await certAuth(t, [leaf], { tenantToken }), 200);
    const regs = (await api('GET', `${ENROLL}/registrations`)).json() as { device_id: string }[];
    const hook = await ok(
      await api('POST', '/api/management/v1/allocation-webhooks', {
        url: `https://alloc.example.com/${label}`,
      }),
      201,
    );
    const allocationWebhookId = (hook.json() as { id: string }).id;
    await ok(
      await api('PATCH', `${ENROLL}/groups/${enrollmentGroupId}`, {
        allocation_webhook_id: allocationWebhookId,
      }),
      200,
    );

    // A webhook subscription created early enough to have deliveries (fanned out below).
    const wh = await ok(
      await api('POST', '/api/management/v1/webhooks', {
        url: `https://hooks.example.com/${label}`,
        event_types: ['*'],
      }),
      201,
    );
    const factory = await ok(
      await api('POST', '/api/management/v2/devauth/factories', {
        name: `line-${label}`,
        public_key: generateKeyPairSync('ed25519')
          .publicKey.export({ type: 'spki', format: 'pem' })
          .toString(),
      }),
      201,
    );
    // Staged only (this server runs no import worker).
    const staged = await ok(
      await app.inject({
        method: 'POST',
        url: '/api/management/v2/devauth/imports?allow_unsigned=true',
        headers: { ...bearer(admin.token), 'content-type': 'application/jsonl' },
        payload: `{"identity":{"sn":"xt-${label}"},"pubkey":"x"}\n`,
      }),
      202,
    );
    const events = (await api('GET', '/api/management/v1/audit/events?per_page=1')).json() as {
      id: string;
    }[];

    return {
      id: tenant.id,
      tenantToken,
      admin: admin.token,
      adminUserId: admin.userId,
      otherUserId: String(other.headers.location).split('/').pop() as string,
      patId: pats[0]?.id as string,
      devices: {
        accepted: accepted.device.id,
        pending: pending.id,
        preauthorized: preauthorized.device.id,
        rejected: rejected.id,
        noauth: noauth.id,
      },
      authSets: {
        accepted: accepted.device.auth_sets[0]?.id as string,
        pending: pending.auth_sets[0]?.id as string,
        rejected: rejectedSet,
        preauthorized: preauthorized.device.auth_sets[0]?.id as string,
      },
      deviceToken,
      deviceTokenId: jwtPayload(deviceToken).jti as string,
      group,
      artifactName: `xt-${dialect}`,
      artifactId,
      deploymentId,
      channelId,
      configId,
      externalId,
      caId,
      builtinCaId: (builtin.json() as { id: string }).id,
      certificateSerial: (cert.json() as { serial: string }).serial,
      credentialId: (cred.json() as { id: string }).id,
      allocationWebhookId,
      enrollmentGroupId,
      individualId: (ind.json() as { id: string }).id,
      registrationDeviceId: regs[0]?.device_id as string,
      webhookId: (wh.json() as { id: string }).id,
      factoryId: (factory.json() as { id: string }).id,
      importId: (staged.json() as { id: string }).id,
      eventId: events[0]?.id as string,
      downloadUrl,
    };
  };

  const a = await tenantWorld('a');
  const b = await tenantWorld('b');
  // Deliveries for both subscriptions, then one (failing) attempt each.
  const nowMs = Date.now();
  while ((await fanOutBatch(gh.store.db, { nowMs, cutoffMs: nowMs, batchSize: 500 })) > 0) {}
  await gh.webhooks.worker.runOnce();
  return { t, a, b, call, sent: () => outbound.n };
};
