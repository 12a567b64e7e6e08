import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES, type EventType } from '../../src/events/event-types.js';
import { signManifest } from '../../src/factory/index.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { devicePublicKey, factoryKeyPair } from '../factory/manifests.js';
import { makeSingleFileArtifact, multipartUpload } from '../helpers/artifacts.js';
import { dialects } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer } from '../helpers/gatehouse.js';
import { hasTool, makeCsr, makeRootCa, pkiDir, signWith } from '../helpers/openssl.js';
import { type BootstrapFixture, newExternalId, startBootstrap } from './bootstrap-setup.js';
import { certAuth, createGroup, ENROLLMENT, proxyFlags } from './enrollment-setup.js';
import { PKI, registerVerifiedCa } from './pki-setup.js';

/**
 * The registry (src/events/event-types.ts) types what the code may send; this checks what it
 * does send: real management and device requests, then every outbox row against its type's
 * schema, with no field beyond those declared (the compiler allows extra fields of non-literal
 * objects, and casts where it cannot pair a type with its payload).
 */
const mismatches = (type: string, payload: unknown): string[] => {
  const declared = EVENT_TYPES[type as EventType]?.payload;
  if (!declared) return [`${type}: not in the registry`];
  const extra = Object.keys(payload as object).filter((k) => !(k in declared.properties));
  return [
    ...extra.map((k) => `${type}: undeclared field ${k}`),
    ...[...Value.Errors(declared, payload)].map((e) => `${type}: ${e.instancePath} ${e.message}`),
  ];
};

describe.each(dialects())('event payloads on %s', (dialect) => {
  let f: BootstrapFixture;
  let token: string;
  beforeAll(async () => {
    f = await startBootstrap(dialect, { flags: proxyFlags });
    token = (await adminToken(f.t.gh)).token;
  });
  afterAll(async () => {
    await f?.t.gh.factory.worker.stop();
    await f?.close();
  });

  const call = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
    const res = await f.t.app.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload ? { payload } : {}),
    });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    return res;
  };

  /** Every type in `expected` was written, and every event written matches its schema. */
  const expectConforming = async (expected: EventType[]) => {
    const rows = await f.t.gh.store.db.selectFrom('events').select(['type', 'payload']).execute();
    const seen = new Set(rows.map((r) => r.type));
    expect(expected.filter((type) => !seen.has(type))).toEqual([]);
    expect(rows.flatMap((r) => mismatches(r.type, JSON.parse(r.payload)))).toEqual([]);
  };

  it('of devices, webhooks and bootstrap match the registry, field for field', async () => {
    const devauth = '/api/management/v2/devauth';
    // Devices: pending, accepted (by a user), token revoked, rejected, auth set deleted,
    // preauthorized, decommissioned, refused.
    const keys = makeDeviceKeys();
    expect((await f.t.app.inject(authRequest(keys, { mac: 'ev:01' }))).statusCode).toBe(401);
    const [device] = (await call('GET', `${devauth}/devices`)).json() as {
      id: string;
      auth_sets: { id: string }[];
    }[];
    if (!device) throw new Error('no device');
    await call('PUT', `${devauth}/devices/${device.id}/auth/${device.auth_sets[0]?.id}/status`, {
      status: 'accepted',
    });
    const issued = await f.t.app.inject(authRequest(keys, { mac: 'ev:01' }));
    expect(issued.statusCode).toBe(200);
    const { jti } = JSON.parse(Buffer.from(issued.body.split('.')[1] ?? '', 'base64url').toString()) as {
      jti: string;
    };
    // A device-token bootstrap fetch with no linked config (written behind, flushed below).
    const fetch = await f.t.app.inject({
      method: 'GET',
      url: '/api/devices/v1/bootstrap/config',
      headers: bearer(issued.body),
    });
    expect(fetch.statusCode).toBe(404);
    await call('DELETE', `${devauth}/tokens/${jti}`);
    expect((await f.t.app.inject(authRequest(makeDeviceKeys(), { mac: 'ev:04' }))).statusCode).toBe(401);
    const other = ((await call('GET', `${devauth}/devices`)).json() as (typeof device)[]).find(
      (d) => d?.id !== device.id && d?.auth_sets.length,
    );
    const otherAuthSet = `${devauth}/devices/${other?.id}/auth/${other?.auth_sets[0]?.id}`;
    await call('PUT', `${otherAuthSet}/status`, { status: 'rejected' });
    await call('DELETE', otherAuthSet);
    await call('POST', `${devauth}/devices`, {
      identity_data: { mac: 'ev:02' },
      pubkey: makeDeviceKeys().publicPem,
    });
    await call('DELETE', `${devauth}/devices/${device.id}`);
    await f.t.app.inject(
      authRequest(makeDeviceKeys(), { mac: 'ev:03' }, { tenantToken: 'not-a-tenant-token' }),
    );

    // Event and allocation webhooks: every change.
    const hook = (
      await call('POST', '/api/management/v1/webhooks', {
        url: 'https://hooks.example.com/gatehouse?key=secret',
        event_types: ['device.*'],
      })
    ).json() as { id: string };
    await call('PATCH', `/api/management/v1/webhooks/${hook.id}`, { enabled: false });
    await call('POST', `/api/management/v1/webhooks/${hook.id}/secret`);
    await call('DELETE', `/api/management/v1/webhooks/${hook.id}`);
    const allocation = (
      await call('POST', '/api/management/v1/allocation-webhooks', { url: 'https://alloc.example.com/' })
    ).json() as { id: string };
    await call('PATCH', `/api/management/v1/allocation-webhooks/${allocation.id}`, { timeout_ms: 500 });
    // A real call that cannot reach its target: recorded as a denial.
    await call('POST', `/api/management/v1/allocation-webhooks/${allocation.id}/test`, {
      registration_id: 'evp',
    });
    await call('DELETE', `/api/management/v1/allocation-webhooks/${allocation.id}`);

    // Bootstrap: channels, configs, state, fetches (write-behind), a refusal, removal.
    const tenant = { id: DEFAULT_TENANT_ID, admin: token };
    const channel = await f.createChannel(tenant, 'telemetry');
    await f.mgmt(tenant, 'PUT', `/channels/${channel}`, { name: 'telemetry-2' });
    const externalId = newExternalId();
    const config = await f.createConfig(tenant, {
      external_id: externalId,
      external_key: 'key',
      channels: [channel],
    });
    await f.setState(tenant, config, 1);
    for (const [path, body] of [
      [`/clients/configs/${config}`, { name: 'renamed', content: '{}' }],
      [`/clients/configs/${config}/hold`, { held: true }],
      [`/clients/configs/${config}/hold`, { held: false }],
      ['/settings', { hold_new_configs: true }],
      ['/settings', { hold_new_configs: false }],
    ] as const)
      expect((await f.mgmt(tenant, 'PUT', path, body)).statusCode, path).toBeLessThan(300);
    expect((await f.fetchPlain(externalId, 'key')).statusCode).toBe(200);
    expect((await f.fetchPlain(externalId, 'wrong')).statusCode).toBeGreaterThanOrEqual(400);
    await f.t.gh.bootstrap.flushEvents();
    expect((await f.mgmt(tenant, 'DELETE', `/clients/configs/${config}`)).statusCode).toBeLessThan(300);
    expect((await f.mgmt(tenant, 'DELETE', `/channels/${channel}`)).statusCode).toBeLessThan(300);

    await expectConforming([
      'device.authset_pending',
      'device.accepted',
      'device.preauthorized',
      'device.decommissioned',
      'device.auth_refused',
      'device.token_revoked',
      'device.rejected',
      'device.authset_deleted',
      'webhook.created',
      'webhook.updated',
      'webhook.secret_rotated',
      'webhook.deleted',
      'allocation_webhook.created',
      'allocation_webhook.updated',
      'allocation_webhook.deleted',
      'allocation.denied',
      'bootstrap.channel_created',
      'bootstrap.channel_updated',
      'bootstrap.channel_removed',
      'bootstrap.config_created',
      'bootstrap.state_changed',
      'bootstrap.fetched',
      'bootstrap.failed',
      'bootstrap.config_removed',
      'bootstrap.config_updated',
      'bootstrap.hold_changed',
      'bootstrap.settings_changed',
    ]);
  });

  it.skipIf(!hasTool('openssl'))('of CAs, certificates and certificate admission match too', async () => {
    const dir = pkiDir();
    const root = makeRootCa(dir, `evp-root-${dialect}`);
    const caId = await registerVerifiedCa(f.t.app, token, dir, root);
    await call('PUT', `${PKI}/cas/${caId}`, { enabled: true });
    const group = await createGroup(f.t, token, { name: 'evp', ca_id: caId });
    expect((await certAuth(f.t, [signWith(dir, root, `evp-leaf-${dialect}`)])).statusCode).toBe(200);
    await call('PATCH', `${ENROLLMENT}/groups/${group.id}`, { enabled: false });
    expect((await certAuth(f.t, [signWith(dir, root, `evp-off-${dialect}`)])).statusCode).toBe(401);
    const individual = (
      await call('POST', `${ENROLLMENT}/individuals`, { registration_id: `evp-one-${dialect}` })
    ).json() as { id: string };
    await call('PATCH', `${ENROLLMENT}/individuals/${individual.id}`, { enabled: false });
    await call('DELETE', `${ENROLLMENT}/individuals/${individual.id}`);
    await call('DELETE', `${ENROLLMENT}/groups/${group.id}`);

    await call('POST', `${PKI}/builtin-ca`, {});
    const csr = readFileSync(makeCsr(dir, `evp-csr-${dialect}`, { cn: `evp-csr-${dialect}` }).csr, 'utf8');
    const issued = (await call('POST', `${PKI}/certificates`, { csr })).json() as { serial: string };
    await call('POST', `${PKI}/certificates/${issued.serial}/revoke`, { reason: 'superseded' });
    const credential = (
      await call('POST', `${PKI}/enrollment-credentials`, { name: `evp-${dialect}` })
    ).json() as {
      id: string;
    };
    await call('DELETE', `${PKI}/enrollment-credentials/${credential.id}`);

    await expectConforming([
      'pki.ca_registered',
      'pki.ca_verified',
      'pki.ca_updated',
      'enrollment.group_created',
      'device.enrolled_by_certificate',
      'enrollment.group_updated',
      'device.enrollment_refused',
      'enrollment.individual_created',
      'enrollment.individual_updated',
      'enrollment.individual_removed',
      'enrollment.group_removed',
      'pki.builtin_ca_created',
      'pki.certificate_issued',
      'pki.certificate_revoked',
      'pki.enrollment_credential_created',
      'pki.enrollment_credential_removed',
    ]);
  });

  it('of factory keys and signed device imports match too', async () => {
    const factories = '/api/management/v2/devauth/factories';
    const imports = '/api/management/v2/devauth/imports';
    const key = factoryKeyPair();
    const factory = (
      await call('POST', factories, { name: `evp-${dialect}`, public_key: key.publicPem })
    ).json() as {
      id: string;
    };
    const body = `identity.sn,pubkey\nEVP-1,"${devicePublicKey().trim()}"\n`;
    const sha = createHash('sha256').update(body).digest('hex');
    f.t.gh.factory.worker.start();
    const started = await f.t.app.inject({
      method: 'POST',
      url: imports,
      headers: {
        ...bearer(token),
        'content-type': 'text/csv',
        'x-gatehouse-manifest-signature': signManifest(key.privateKey, sha),
      },
      payload: body,
    });
    expect(started.statusCode, started.body).toBe(202);
    const id = (started.json() as { id: string }).id;
    for (let i = 0; i < 100; i++) {
      const { status } = (await call('GET', `${imports}/${id}`)).json() as { status: string };
      if (status === 'succeeded' || status === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await call('POST', `${factories}/${factory.id}/disable`);

    await expectConforming([
      'factory.registered',
      'import.started',
      'device.preauthorized',
      'import.finished',
      'factory.disabled',
    ]);
  });

  it.skipIf(!existsSync('/usr/bin/mender-artifact'))('of artifacts and deployments match too', async () => {
    const D = '/api/management/v1/deployments';
    const keys = makeDeviceKeys();
    await call('POST', '/api/management/v2/devauth/devices', {
      identity_data: { mac: 'ev:ota' },
      pubkey: keys.publicPem,
    });
    expect((await f.t.app.inject(authRequest(keys, { mac: 'ev:ota' }))).statusCode).toBe(200);
    const devices = (await call('GET', '/api/management/v2/devauth/devices?status=accepted')).json() as {
      id: string;
    }[];
    const name = `evp-release-${dialect}`;
    const { body, contentType } = await multipartUpload(
      readFileSync(makeSingleFileArtifact({ name, deviceTypes: ['evp'] })),
    );
    const upload = await f.t.app.inject({
      method: 'POST',
      url: `${D}/artifacts`,
      headers: { ...bearer(token), 'content-type': contentType },
      payload: body,
    });
    expect(upload.statusCode, upload.body).toBe(201);
    const artifactId = String(upload.headers.location).split('/').at(-1);
    const created = await call('POST', `${D}/deployments`, {
      name: 'evp',
      artifact_name: name,
      devices: devices.map((d) => d.id),
    });
    const deploymentId = String(created.headers.location).split('/').at(-1);
    await call('PUT', `${D}/deployments/${deploymentId}/status`, { status: 'aborted' });
    await call('DELETE', `${D}/artifacts/${artifactId}`);

    await expectConforming([
      'artifact.uploaded',
      'deployment.created',
      'deployment.aborted',
      'deployment.finished',
      'artifact.deleted',
    ]);
  });
});
