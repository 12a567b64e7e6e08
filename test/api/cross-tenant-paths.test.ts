import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { hasTool } from '../helpers/openssl.js';
import {
  answer,
  buildWorld,
  DEPLOY,
  DEVAUTH,
  DEVICE_DEPLOY,
  ENROLL,
  INVENTORY,
  type Method,
  snapshot,
  type TenantWorld,
  unknownLike,
  type World,
} from './cross-tenant-world.js';
import { PKI } from './pki-setup.js';

// Every operation of the generated OpenAPI document that has an id in its path is called as a
// user (or device) of tenant A with tenant B's id and with a random id of the same shape: both
// answers must be identical (status, content type, body apart from request_id and the id
// itself), must be the documented refusal, and no row of tenant B (nor any row count) may change.
// An operation this table does not cover fails the suite (ADR 2: another tenant's resource is a 404).

type Auth = 'user' | 'device' | 'none';
type Params = Record<string, string>;
interface Case {
  auth?: Auth;
  /** Path parameter sets naming one resource of a tenant (several: each is tried). */
  params: (w: TenantWorld) => Params[];
  /** A body valid for the operation (own = the caller's tenant, other = the foreign one). */
  body?: (own: TenantWorld, other: TenantWorld) => unknown;
  query?: (own: TenantWorld) => string;
  /** The refusal both calls must get. */
  status: number;
}

const API = '/api/management';
const dev = (w: TenantWorld) => Object.values(w.devices).map((id) => ({ id }) as Params);
const deployment = (w: TenantWorld) => [{ id: w.deploymentId }];
const bsConfig = (w: TenantWorld) => [{ domainID: w.id, configID: w.configId }];
const bsChannel = (w: TenantWorld) => [{ domainID: w.id, channelID: w.channelId }];
const domain = (w: TenantWorld) => [{ domainID: w.id }];
const cas = (w: TenantWorld) => [{ id: w.caId }, { id: w.builtinCaId }];
const webhook = (w: TenantWorld) => [{ id: w.webhookId }];
const allocation = (w: TenantWorld) => [{ id: w.allocationWebhookId }];
const authSet = (w: TenantWorld) => [
  { id: w.devices.accepted, aid: w.authSets.accepted },
  { id: w.devices.pending, aid: w.authSets.pending },
  { id: w.devices.rejected, aid: w.authSets.rejected },
  { id: w.devices.preauthorized, aid: w.authSets.preauthorized },
];

const CASES: Record<string, Case> = {
  // Device API, with tenant A's device token.
  [`PUT ${DEVICE_DEPLOY}/{id}/status`]: {
    auth: 'device',
    params: deployment,
    body: () => ({ status: 'downloading' }),
    status: 404,
  },
  [`PUT ${DEVICE_DEPLOY}/{id}/log`]: {
    auth: 'device',
    params: deployment,
    body: () => ({ messages: [{ timestamp: '2026-01-01T00:00:00Z', level: 'info', message: 'x' }] }),
    status: 404,
  },
  // A signed link of tenant A with another artifact id: the signature covers the id.
  'GET /api/devices/v1/deployments/download/artifacts/{id}': {
    auth: 'none',
    params: (w) => [{ id: w.artifactId }],
    query: (own) => new URL(own.downloadUrl).search.slice(1),
    status: 403,
  },

  // Device authentication.
  [`GET ${DEVAUTH}/devices/{id}`]: { params: dev, status: 404 },
  [`DELETE ${DEVAUTH}/devices/{id}`]: { params: dev, status: 404 },
  [`GET ${DEVAUTH}/devices/{id}/auth/{aid}/status`]: { params: authSet, status: 404 },
  [`PUT ${DEVAUTH}/devices/{id}/auth/{aid}/status`]: {
    params: authSet,
    body: () => ({ status: 'accepted' }),
    status: 404,
  },
  [`DELETE ${DEVAUTH}/devices/{id}/auth/{aid}`]: { params: authSet, status: 404 },
  [`DELETE ${DEVAUTH}/tokens/{id}`]: { params: (w) => [{ id: w.deviceTokenId }], status: 404 },

  // Users and personal access tokens.
  [`GET ${API}/v1/useradm/users/{id}`]: {
    params: (w) => [{ id: w.adminUserId }, { id: w.otherUserId }],
    status: 404,
  },
  [`PUT ${API}/v1/useradm/users/{id}`]: {
    params: (w) => [{ id: w.otherUserId }],
    body: () => ({ email: 'renamed@example.com' }),
    status: 404,
  },
  [`DELETE ${API}/v1/useradm/users/{id}`]: {
    params: (w) => [{ id: w.adminUserId }, { id: w.otherUserId }],
    status: 404,
  },
  [`DELETE ${API}/v1/useradm/settings/tokens/{id}`]: { params: (w) => [{ id: w.patId }], status: 404 },

  // Inventory.
  [`GET ${INVENTORY}/devices/{id}`]: { params: dev, status: 404 },
  [`DELETE ${INVENTORY}/devices/{id}`]: { params: dev, status: 404 },
  [`PUT ${INVENTORY}/devices/{id}/tags`]: {
    params: dev,
    body: () => [{ name: 'site', value: 'taken' }],
    status: 404,
  },
  [`PATCH ${INVENTORY}/devices/{id}/tags`]: {
    params: dev,
    body: () => [{ name: 'site', value: 'taken' }],
    status: 404,
  },
  [`GET ${INVENTORY}/devices/{id}/group`]: { params: dev, status: 404 },
  [`PUT ${INVENTORY}/devices/{id}/group`]: {
    params: dev,
    body: () => ({ group: 'taken' }),
    status: 404,
  },
  [`DELETE ${INVENTORY}/devices/{id}/group/{name}`]: {
    params: (w) => [{ id: w.devices.accepted, name: w.group }],
    status: 404,
  },
  // Group names are labels of the caller's own tenant: another tenant's name is just unused here.
  [`DELETE ${INVENTORY}/groups/{name}`]: { params: (w) => [{ name: w.group }], status: 200 },
  [`GET ${INVENTORY}/groups/{name}/devices`]: { params: (w) => [{ name: w.group }], status: 404 },
  [`PATCH ${INVENTORY}/groups/{name}/devices`]: {
    params: (w) => [{ name: w.group }],
    body: (_own, other) => [other.devices.accepted, other.devices.pending],
    status: 200,
  },
  [`DELETE ${INVENTORY}/groups/{name}/devices`]: {
    params: (w) => [{ name: w.group }],
    body: (_own, other) => [other.devices.accepted],
    status: 200,
  },

  // Artifacts and deployments.
  [`GET ${DEPLOY}/artifacts/{id}`]: { params: (w) => [{ id: w.artifactId }], status: 404 },
  [`PUT ${DEPLOY}/artifacts/{id}`]: {
    params: (w) => [{ id: w.artifactId }],
    body: () => ({ description: 'taken' }),
    status: 404,
  },
  [`DELETE ${DEPLOY}/artifacts/{id}`]: { params: (w) => [{ id: w.artifactId }], status: 404 },
  [`GET ${DEPLOY}/artifacts/{id}/download`]: { params: (w) => [{ id: w.artifactId }], status: 404 },
  [`POST ${DEPLOY}/deployments/group/{name}`]: {
    params: (w) => [{ name: w.group }],
    body: (own) => ({ name: 'by-group', artifact_name: artifactNameOf(own) }),
    status: 400,
  },
  [`GET ${DEPLOY}/deployments/{id}`]: { params: deployment, status: 404 },
  [`GET ${DEPLOY}/deployments/{id}/statistics`]: { params: deployment, status: 404 },
  [`PUT ${DEPLOY}/deployments/{id}/status`]: {
    params: deployment,
    body: () => ({ status: 'aborted' }),
    status: 404,
  },
  [`GET ${DEPLOY}/deployments/{id}/devices/list`]: { params: deployment, status: 404 },
  [`GET ${DEPLOY}/deployments/{id}/devices`]: { params: deployment, status: 404 },
  [`GET ${DEPLOY}/deployments/{id}/device_list`]: { params: deployment, status: 404 },
  [`GET ${DEPLOY}/deployments/{id}/devices/{devid}/log`]: {
    params: (w) => [{ id: w.deploymentId, devid: w.devices.accepted }],
    status: 404,
  },

  // Bootstrap management (Magistrala-compatible): the domain is the caller's tenant.
  'POST /bootstrap/{domainID}/clients/configs': {
    params: domain,
    body: () => ({ external_id: 'new-external-id', external_key: 'new-external-key' }),
    status: 404,
  },
  'GET /bootstrap/{domainID}/clients/configs': { params: domain, status: 404 },
  'GET /bootstrap/{domainID}/clients/configs/{configID}': { params: bsConfig, status: 404 },
  'PUT /bootstrap/{domainID}/clients/configs/{configID}': {
    params: bsConfig,
    body: () => ({ name: 'renamed', content: 'x' }),
    status: 404,
  },
  'DELETE /bootstrap/{domainID}/clients/configs/{configID}': { params: bsConfig, status: 404 },
  'PATCH /bootstrap/{domainID}/clients/configs/certs/{configID}': {
    params: bsConfig,
    body: () => ({}),
    status: 404,
  },
  'PUT /bootstrap/{domainID}/clients/configs/connections/{configID}': {
    params: bsConfig,
    body: (own) => ({ channels: [own.channelId] }),
    status: 404,
  },
  'PUT /bootstrap/{domainID}/clients/configs/{configID}/device': {
    params: bsConfig,
    body: (own) => ({ device_id: own.devices.preauthorized }),
    status: 404,
  },
  'PUT /bootstrap/{domainID}/clients/state/{configID}': {
    params: bsConfig,
    body: () => ({ state: 0 }),
    status: 404,
  },
  'POST /bootstrap/{domainID}/channels': {
    params: domain,
    body: () => ({ name: 'new-channel' }),
    status: 404,
  },
  'GET /bootstrap/{domainID}/channels': { params: domain, status: 404 },
  'GET /bootstrap/{domainID}/channels/{channelID}': { params: bsChannel, status: 404 },
  'PUT /bootstrap/{domainID}/channels/{channelID}': {
    params: bsChannel,
    body: () => ({ name: 'renamed-channel' }),
    status: 404,
  },
  'DELETE /bootstrap/{domainID}/channels/{channelID}': { params: bsChannel, status: 404 },

  // PKI: uploaded and built-in CAs, issued certificates, EST credentials.
  [`GET ${PKI}/cas/{id}`]: { params: cas, status: 404 },
  [`PUT ${PKI}/cas/{id}`]: { params: cas, body: () => ({ enabled: false }), status: 404 },
  [`DELETE ${PKI}/cas/{id}`]: { params: cas, status: 404 },
  [`POST ${PKI}/cas/{id}/verification`]: {
    params: cas,
    body: () => ({ certificate: 'not checked before the CA is found' }),
    status: 404,
  },
  [`POST ${PKI}/cas/{id}/verification-code`]: { params: cas, status: 404 },
  [`PUT ${PKI}/cas/{id}/crl`]: {
    params: cas,
    body: () => ({ crl: 'not checked before the CA is found' }),
    status: 404,
  },
  [`GET ${PKI}/certificates/{serial}`]: { params: (w) => [{ serial: w.certificateSerial }], status: 404 },
  [`POST ${PKI}/certificates/{serial}/revoke`]: {
    params: (w) => [{ serial: w.certificateSerial }],
    body: () => ({ reason: 'keyCompromise' }),
    status: 404,
  },
  [`DELETE ${PKI}/enrollment-credentials/{id}`]: { params: (w) => [{ id: w.credentialId }], status: 404 },

  // Webhooks (subscriptions and their deliveries) and allocation webhooks.
  [`GET ${API}/v1/webhooks/{id}`]: { params: webhook, status: 404 },
  [`PATCH ${API}/v1/webhooks/{id}`]: { params: webhook, body: () => ({ enabled: false }), status: 404 },
  [`DELETE ${API}/v1/webhooks/{id}`]: { params: webhook, status: 404 },
  [`POST ${API}/v1/webhooks/{id}/secret`]: { params: webhook, status: 404 },
  [`POST ${API}/v1/webhooks/{id}/ping`]: { params: webhook, status: 404 },
  [`GET ${API}/v1/webhooks/{id}/deliveries`]: { params: webhook, status: 404 },
  [`POST ${API}/v1/webhooks/{id}/redeliver`]: { params: webhook, status: 404 },
  [`GET ${API}/v1/allocation-webhooks/{id}`]: { params: allocation, status: 404 },
  [`PATCH ${API}/v1/allocation-webhooks/{id}`]: {
    params: allocation,
    body: () => ({ description: 'taken' }),
    status: 404,
  },
  [`DELETE ${API}/v1/allocation-webhooks/{id}`]: { params: allocation, status: 404 },
  [`POST ${API}/v1/allocation-webhooks/{id}/secret`]: { params: allocation, status: 404 },
  [`POST ${API}/v1/allocation-webhooks/{id}/test`]: {
    params: allocation,
    body: () => ({ registration_id: 'probe' }),
    status: 404,
  },

  // Enrollment.
  [`GET ${ENROLL}/groups/{id}`]: { params: (w) => [{ id: w.enrollmentGroupId }], status: 404 },
  [`PATCH ${ENROLL}/groups/{id}`]: {
    params: (w) => [{ id: w.enrollmentGroupId }],
    body: () => ({ enabled: false }),
    status: 404,
  },
  [`DELETE ${ENROLL}/groups/{id}`]: { params: (w) => [{ id: w.enrollmentGroupId }], status: 404 },
  [`GET ${ENROLL}/individuals/{id}`]: { params: (w) => [{ id: w.individualId }], status: 404 },
  [`PATCH ${ENROLL}/individuals/{id}`]: {
    params: (w) => [{ id: w.individualId }],
    body: () => ({ enabled: false }),
    status: 404,
  },
  [`DELETE ${ENROLL}/individuals/{id}`]: { params: (w) => [{ id: w.individualId }], status: 404 },
  [`GET ${ENROLL}/registrations/{device_id}`]: {
    params: (w) => [{ device_id: w.registrationDeviceId }, { device_id: w.devices.accepted }],
    status: 404,
  },
};

/** Operations with an id in the path that are not a tenant's resource looked up by a caller of another tenant. */
const NOT_TENANT_RESOURCES: Record<string, string> = {
  'GET /.well-known/est/{tenantId}/cacerts':
    "public: a tenant's CA certificates are published for its devices (RFC 7030)",
  'POST /.well-known/est/{tenantId}/simpleenroll':
    'the caller authenticates to the tenant of the path (credential or device token of that tenant; cross-tenant-bodies.test.ts)',
  'POST /.well-known/est/{tenantId}/simplereenroll':
    "the caller authenticates with a client certificate of the path's tenant's built-in CA",
  'GET /pki/{tenantId}/crl': "public: the CRL distribution point named in the tenant's certificates",
  'POST /bootstrap/v2/{domainID}/challenges':
    'device route: the domain is where the device proves its key (bootstrap-v2.test.ts)',
  'POST /bootstrap/v2/{domainID}/configs':
    'device route: the domain is where the device proves its key (bootstrap-v2.test.ts)',
  'GET /bootstrap/clients/bootstrap/{external_id}':
    'device route authenticated by the external key (bootstrap-security.test.ts: unknown and wrong keys answer alike)',
  'GET /bootstrap/clients/bootstrap/secure/{external_id}':
    'device route authenticated by the external key (bootstrap-security.test.ts)',
  [`GET ${DEVAUTH}/limits/{name}`]: 'names a kind of limit (max_devices), not a resource',
};

let artifactName = '';
const artifactNameOf = (_w: TenantWorld) => artifactName;

const haveOpenssl = hasTool('openssl');

describe.skipIf(!haveOpenssl).each(dialects())('cross-tenant ids in paths on %s', (dialect) => {
  let w: World;
  let operations: string[];

  beforeAll(async () => {
    artifactName = `xt-${dialect}`;
    w = await buildWorld(dialect);
    const spec = (await w.t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    operations = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'put', 'post', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
  }, 120_000);
  afterAll(async () => w?.t.close());

  it('covers every operation of the OpenAPI document that has an id in its path', () => {
    const withIds = operations.filter((op) => op.includes('{'));
    const uncovered = withIds.filter((op) => !(op in CASES) && !(op in NOT_TENANT_RESOURCES));
    expect(uncovered, 'operations with a path id that no cross-tenant case covers').toEqual([]);
    const stale = [...Object.keys(CASES), ...Object.keys(NOT_TENANT_RESOURCES)].filter(
      (op) => !operations.includes(op),
    );
    expect(stale, 'cases for operations the OpenAPI document no longer has').toEqual([]);
  });

  it("answers another tenant's id exactly as an unknown one and changes nothing", async () => {
    const before = await snapshot(w.t, w.b.id);
    const sentBefore = w.sent();
    let compared = 0;
    for (const [op, c] of Object.entries(CASES)) {
      const [method, template] = op.split(' ') as [Method, string];
      const own = c.params(w.a)[0] as Params;
      for (const theirs of c.params(w.b)) {
        const names = Object.keys(theirs);
        // Each id on its own (the others the caller's), then all of them foreign at once.
        const subsets = names.length > 1 ? [...names.map((n) => [n]), names] : [names];
        for (const subset of subsets) {
          const unknown = Object.fromEntries(subset.map((n) => [n, unknownLike(theirs[n] as string)]));
          const foreign = Object.fromEntries(subset.map((n) => [n, theirs[n] as string]));
          const request = (ids: Params) => {
            const params = { ...own, ...ids };
            let url = template.replace(/\{(\w+)\}/g, (_, n: string) =>
              encodeURIComponent(params[n] as string),
            );
            if (c.query) url += `?${c.query(w.a)}`;
            const token = c.auth === 'device' ? w.a.deviceToken : c.auth === 'none' ? undefined : w.a.admin;
            return w.t.app.inject({
              method,
              url,
              headers: token ? { authorization: `Bearer ${token}` } : {},
              ...(c.body ? { payload: c.body(w.a, w.b) as object } : {}),
            });
          };
          const label = `${op} with ${JSON.stringify(foreign)}`;
          const asForeign = answer(await request(foreign), Object.values(foreign));
          const asUnknown = answer(await request(unknown), Object.values(unknown));
          expect(asForeign.status, `${label}: ${JSON.stringify(asForeign.body)}`).toBe(c.status);
          expect(asForeign, label).toEqual(asUnknown);
          expect(await snapshot(w.t, w.b.id), label).toEqual(before);
          compared += 1;
        }
      }
    }
    expect(w.sent(), 'no outbound call (ping, allocation test) for a foreign id').toBe(sentBefore);
    expect(compared).toBeGreaterThan(Object.keys(CASES).length);
  }, 300_000);
});
