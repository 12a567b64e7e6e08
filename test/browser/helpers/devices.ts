import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { waitFor } from '../../e2e/helpers/wait.js';
import { authRequestBody, type DeviceKeys, makeDeviceKeys, signBody } from '../../helpers/device-client.js';
import type { ConsoleServer } from './console-server.js';

/** The management and device API paths the browser tests check the console against. */
export const DEVAUTH = '/api/management/v2/devauth';
export const AUTH_REQUESTS_PATH = '/api/devices/v1/authentication/auth_requests';
export const AUDIT_PATH = '/api/management/v1/audit/events';
export const BULK_PATH = `${DEVAUTH}/devices/bulk`;

export interface AuthSetJson {
  id: string;
  pubkey: string;
  status: string;
  fingerprint?: string;
}

export interface DeviceJson {
  id: string;
  status: string;
  identity_data: Record<string, unknown>;
  auth_sets: AuthSetJson[];
}

export interface AuditEventJson {
  id: string;
  type: string;
  device_id: string | null;
  created_at: string;
  data: Record<string, unknown> & { actor?: { type?: string; id?: string; email?: string } };
}

export const devicesWithMac = async (
  server: ConsoleServer,
  mac: string,
  status?: string,
): Promise<DeviceJson[]> =>
  (
    await server.apiOk<DeviceJson[]>(
      'GET',
      `${DEVAUTH}/devices?per_page=500${status ? `&status=${status}` : ''}`,
    )
  ).filter((d) => d.identity_data.mac === mac);

export const getDevice = (server: ConsoleServer, id: string) =>
  server.apiOk<DeviceJson>('GET', `${DEVAUTH}/devices/${id}`);

export const countDevices = async (server: ConsoleServer, status: string): Promise<number> =>
  (await server.apiOk<{ count: number }>('GET', `${DEVAUTH}/devices/count?status=${status}`)).count;

/** Every audit event of `type` (newest first), all pages. */
export const auditEvents = async (
  server: ConsoleServer,
  query: { type: string; device_id?: string },
): Promise<AuditEventJson[]> => {
  const out: AuditEventJson[] = [];
  for (let page = 1; page <= 50; page++) {
    const qs = new URLSearchParams({ type: query.type, page: String(page), per_page: '100' });
    if (query.device_id) qs.set('device_id', query.device_id);
    const batch = await server.apiOk<AuditEventJson[]>('GET', `${AUDIT_PATH}?${qs}`);
    out.push(...batch);
    if (batch.length < 100) return out;
  }
  throw new Error(`more than 5000 ${query.type} events: not what a test makes`);
};

/** The `inventory`-scope attributes of a device (what its client reported), by name. */
export const inventoryOf = async (server: ConsoleServer, id: string): Promise<Record<string, unknown>> => {
  const body = await server.apiOk<{ attributes: { name: string; value: unknown; scope: string }[] }>(
    'GET',
    `/api/management/v1/inventory/devices/${id}`,
  );
  return Object.fromEntries(
    body.attributes.filter((a) => a.scope === 'inventory').map((a) => [a.name, a.value]),
  );
};

/**
 * Waits until the real client has made authenticated requests: its inventory (sent with the
 * token it got from the auth request) is stored under the device.
 */
export const waitForReportedInventory = (
  server: ConsoleServer,
  id: string,
  diagnostics: () => string,
  timeoutMs = 20_000,
) =>
  waitFor(
    `device ${id} to report its inventory with a token`,
    async () => {
      const inv = await inventoryOf(server, id);
      return typeof inv.mender_client_version === 'string' ? inv : undefined;
    },
    { diagnostics, timeoutMs, intervalMs: 200 },
  );

/** The SHA-256 of a public key's SPKI DER, computed by the real openssl (as an operator would check it). */
export const opensslFingerprint = (publicPemPath: string): string => {
  const out = execFileSync(
    'sh',
    ['-c', 'openssl pkey -pubin -in "$1" -outform DER | sha256sum', 'sh', publicPemPath],
    { encoding: 'utf8' },
  );
  const m = /^([0-9a-f]{64})\s/.exec(out);
  if (!m?.[1]) throw new Error(`unexpected sha256sum output: ${out}`);
  return m[1];
};

export const randomMacAddress = (): string =>
  ['02', ...[...randomBytes(5)].map((b) => b.toString(16).padStart(2, '0'))].join(':');

/**
 * `n` devices asking to be admitted: signed auth requests as the 3.4 client sends them (test
 * helpers/device-client.ts), each with its own Ed25519 key and mac. Every one is refused (401)
 * and recorded as a pending device. Returns their macs.
 */
export const sendPendingAuthRequests = async (
  url: string,
  n: number,
  concurrency = 16,
): Promise<string[]> => {
  const devices: { mac: string; keys: DeviceKeys }[] = Array.from({ length: n }, () => ({
    mac: randomMacAddress(),
    keys: makeDeviceKeys('ed25519'),
  }));
  let next = 0;
  const worker = async () => {
    while (next < devices.length) {
      const d = devices[next++] as (typeof devices)[number];
      const body = authRequestBody({ mac: d.mac }, d.keys.publicPem);
      const res = await fetch(`${url}${AUTH_REQUESTS_PATH}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer ',
          'x-men-signature': signBody(d.keys, body),
        },
        body,
      });
      await res.arrayBuffer();
      if (res.status !== 401)
        throw new Error(`auth request of ${d.mac}: expected 401 (pending), got ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return devices.map((d) => d.mac);
};
