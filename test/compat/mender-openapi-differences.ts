import type { MenderOperation, Violation } from './mender-openapi.js';

/**
 * Where Gatehouse answers a Mender operation differently from Mender's published OpenAPI
 * document, on purpose. The contract recorder (test/helpers/mender-contract.ts) accepts exactly
 * these; any other mismatch fails the test that caused it. The reasons are rendered into
 * docs/compat/mender-openapi.md (`npm run docs`).
 */
export interface Difference {
  /** `METHOD /path` of the document, or `*` for every operation. */
  operation: string;
  /** `status`: Gatehouse answers a status the operation does not declare. `body`: a body differs. */
  kind: Violation['kind'];
  /** The statuses concerned; all when absent. */
  statuses?: number[];
  /** For `body`: JSON pointers into the body (prefixes) where it differs; anywhere when absent. */
  where?: string[];
  /** For `body`: what the checker reports (e.g. a missing required property); anything when absent. */
  detail?: RegExp;
  /** Why, in our words. */
  reason: string;
}

export const DIFFERENCES: Difference[] = [
  {
    operation: '*',
    kind: 'status',
    statuses: [400],
    reason:
      'Malformed input (a path parameter over its length limit, a query value of the wrong type, a body ' +
      'that is not the JSON the operation takes) is refused with 400 on every operation, also where the ' +
      'document declares no 400.',
  },
  {
    operation: '*',
    kind: 'status',
    statuses: [401],
    reason:
      'Every operation that needs a token answers 401 without a valid one, also where the document ' +
      'does not list 401 (Mender leaves that answer to its API gateway).',
  },
  {
    operation: '*',
    kind: 'status',
    statuses: [403],
    reason:
      'A user whose role does not allow the operation (a read-only user asking for a change) gets 403, in ' +
      'the usual error shape, also where the document lists no 403.',
  },
  {
    operation: '*',
    kind: 'status',
    statuses: [413, 414, 415, 429, 431, 503],
    reason:
      'Limits Gatehouse enforces itself rather than behind a gateway: bodies or URLs that are too large ' +
      '(413, 414, 431), a content type the operation does not take (415), rate limits (429), and a ' +
      'database that does not answer (503); all in the usual error shape.',
  },
  {
    operation: 'POST /api/devices/v1/authentication/auth_requests',
    kind: 'body',
    statuses: [200],
    reason:
      "The device token is answered as the bare token with `Content-Type: application/jwt`, as Mender's " +
      'device auth service answers and the Mender client reads it; the document declares a JSON string.',
  },
  {
    operation: 'POST /api/management/v1/useradm/settings/tokens',
    kind: 'body',
    statuses: [200],
    reason:
      'A new personal access token is answered like a login (which the document declares so): the bare ' +
      'token as `application/jwt`; the document declares a JSON string here.',
  },
  {
    operation: 'GET /api/management/v1/useradm/settings/tokens',
    kind: 'body',
    statuses: [200],
    detail: /required property 'expiration_date'/,
    reason:
      'A token created without `expires_in` (or with 0) never expires, as the document itself allows; such ' +
      'a token is listed without `expiration_date` rather than with an invented date.',
  },
  {
    operation: 'DELETE /api/management/v1/useradm/settings/tokens/{id}',
    kind: 'status',
    statuses: [404],
    reason: 'Revoking a personal access token the user does not have is a 404 rather than a silent 204.',
  },
  {
    operation: 'GET /api/management/v1/inventory/devices/{id}/group',
    kind: 'body',
    statuses: [200],
    where: ['/group'],
    reason:
      'A device in no group answers `{"group": null}`, as the operation\'s own description says; its ' +
      'schema declares a plain string.',
  },
  {
    operation: 'PATCH /api/management/v2/deployments/deployments/releases/{release_name}',
    kind: 'status',
    statuses: [404],
    reason:
      'Notes for a release that does not exist (no artifact has that name) are refused with 404; the ' +
      'document lists no 404 here.',
  },
  {
    operation: 'PUT /api/management/v2/deployments/deployments/releases/{release_name}/tags',
    kind: 'status',
    statuses: [404],
    reason:
      'Tags for a release that does not exist (no artifact has that name) are refused with 404; the ' +
      'document lists no 404 here.',
  },
  {
    operation: 'DELETE /api/management/v1/inventory/devices/{id}',
    kind: 'status',
    statuses: [404],
    reason: 'Removing a device that is not in the inventory is a 404 rather than a silent 204.',
  },
  {
    operation: 'DELETE /api/management/v1/useradm/users/{id}',
    kind: 'status',
    statuses: [404],
    reason: 'Removing a user that does not exist (in this tenant) is a 404 rather than a silent 204.',
  },
];

const appliesTo = (d: Difference, v: Violation): boolean =>
  (d.operation === '*' || d.operation === v.operation) &&
  d.kind === v.kind &&
  (d.statuses === undefined || d.statuses.includes(v.status)) &&
  (d.where === undefined || d.where.some((w) => v.where === w || v.where.startsWith(`${w}/`))) &&
  (d.detail === undefined || d.detail.test(v.detail));

/** The listed difference that accepts this violation, if any. */
export const acceptedDifference = (v: Violation): Difference | undefined =>
  DIFFERENCES.find((d) => appliesTo(d, v));

/**
 * Operations of the document that are not Gatehouse's concern, by group (first match wins); they
 * are listed apart from the open-source operations Gatehouse does not serve.
 */
export const OUT_OF_SCOPE: { group: string; applies: (op: MenderOperation) => boolean; reason: string }[] = [
  {
    group: 'internal APIs',
    applies: (op) => op.path.startsWith('/api/internal/') || op.tags.some((t) => t.startsWith('Workflows')),
    reason:
      "Calls between Mender's own services (and its workflow engine) inside the cluster. Gatehouse is one " +
      'process: what these do happens inside a transaction, with no call between services.',
  },
  {
    group: 'add-ons (Configure, Troubleshoot)',
    applies: (op) =>
      op.addons.length > 0 ||
      op.path.includes('/deviceconfig/') ||
      op.path.includes('/deviceconnect/') ||
      op.path.includes('/download/configuration/'),
    reason:
      "Mender's paid add-ons: device configuration (and its configuration deployments) and remote " +
      'terminal, file transfer and port forwarding. Gatehouse has neither.',
  },
  {
    group: 'hosted Mender and its plans',
    applies: (op) =>
      /\/useradm\/(plans|plan_binding)$/.test(op.path) ||
      op.path.endsWith('/limits/storage') ||
      op.path.includes('/artifacts/directupload'),
    reason:
      'Billing plans, storage quotas and direct uploads to the object store of hosted Mender. Gatehouse ' +
      'stores artifacts itself and has no plans.',
  },
  {
    group: 'cloud integrations (iot-manager)',
    applies: (op) => op.path.includes('/iot-manager/'),
    reason:
      "Mender's iot-manager mirrors devices to Azure IoT Hub and AWS IoT Core. Gatehouse forwards events " +
      'through its own webhooks instead (docs/webhooks.md); it answers the integrations list with an ' +
      'empty one, for the web UI.',
  },
];
