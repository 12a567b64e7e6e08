import { DEPLOY, DEVAUTH, DEVICE_DEPLOY, ENROLL, INVENTORY, type TenantWorld } from './cross-tenant-world.js';
import { PKI } from './pki-setup.js';

// The operations with an id in their path, as cross-tenant-paths.test.ts calls them: which ids
// of a tenant to try, a valid body, and the refusal both calls must get. Every such operation of
// the OpenAPI document is here or in NOT_TENANT_RESOURCES, with the reason.

export type Auth = 'user' | 'device' | 'none';
export type Params = Record<string, string>;
export interface Case {
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

const factory = (w: TenantWorld) => [{ id: w.factoryId }];
const deviceImport = (w: TenantWorld) => [{ id: w.importId }];

export const CASES: Record<string, Case> = {
  // Factory keys and manifest imports.
  [`GET ${API}/v2/devauth/factories/{id}`]: { params: factory, status: 404 },
  [`POST ${API}/v2/devauth/factories/{id}/disable`]: { params: factory, status: 404 },
  [`GET ${API}/v2/devauth/imports/{id}`]: { params: deviceImport, status: 404 },
  [`GET ${API}/v2/devauth/imports/{id}/problems`]: { params: deviceImport, status: 404 },
  [`GET ${API}/v2/devauth/imports/{id}/report`]: { params: deviceImport, status: 404 },
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
    body: (own) => ({ name: 'by-group', artifact_name: own.artifactName }),
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
  // A device's deployment history: another tenant's device has none here, like an unknown one.
  [`GET ${DEPLOY}/deployments/devices/{id}`]: { params: dev, status: 200 },
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
  'PUT /bootstrap/{domainID}/clients/configs/{configID}/hold': {
    params: bsConfig,
    body: () => ({ held: true }),
    status: 404,
  },
  'GET /bootstrap/{domainID}/settings': { params: domain, status: 404 },
  'PUT /bootstrap/{domainID}/settings': {
    params: domain,
    body: () => ({ hold_new_configs: true }),
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

  // Saved filters: Gatehouse has none, so every id (any tenant's) is unknown.
  [`GET ${API}/v2/inventory/filters/{id}`]: {
    params: () => [{ id: '5f3b8d4e-9c1a-4b3c-8d5e-6f7000000001' }],
    status: 404,
  },
  [`DELETE ${API}/v2/inventory/filters/{id}`]: {
    params: () => [{ id: '5f3b8d4e-9c1a-4b3c-8d5e-6f7000000001' }],
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
export const NOT_TENANT_RESOURCES: Record<string, string> = {
  'GET /.well-known/est/{tenantId}/cacerts':
    "public: a tenant's CA certificates are published for its devices (RFC 7030)",
  'POST /.well-known/est/{tenantId}/simpleenroll':
    'the caller authenticates to the tenant of the path (credential or device token of that tenant; cross-tenant-device.test.ts)',
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
  ...Object.fromEntries(
    [
      'GET /api/management/v2/deployments/deployments/releases/{release_name}',
      'PATCH /api/management/v2/deployments/deployments/releases/{release_name}',
      'PUT /api/management/v2/deployments/deployments/releases/{release_name}/tags',
    ].map((op) => [
      op,
      "a release name, looked up in the caller's tenant only: two tenants may both have one of that name (releases-v2.test.ts: another tenant's release is a 404)",
    ]),
  ),
};
