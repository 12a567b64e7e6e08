import { expect } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import type { DialectName } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

// Shared setup of the inventory API tests: a tenant, its admin, and devices admitted the way a
// real device is (signed auth request → pending → accepted by the admin → token).

export type Method = 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';
export type InventoryAttr = { name: string; value: unknown; scope: string; description?: string };
export type InventoryDevice = { id: string; attributes: InventoryAttr[]; updated_ts: string };

export interface Tenant {
  id: string;
  admin: string;
  tenantToken: string;
}

export interface Admitted {
  id: string;
  mac: string;
  token: string;
}

let macSeq = 0;
export const newMac = (): string => {
  macSeq += 1;
  return `02:10:00:00:${(macSeq >> 8).toString(16).padStart(2, '0')}:${(macSeq & 255).toString(16).padStart(2, '0')}`;
};

export const attr = (d: InventoryDevice, scope: string, name: string): unknown =>
  d.attributes.find((a) => a.scope === scope && a.name === name)?.value;

export const links = (h: unknown): string[] =>
  ([] as string[]).concat((h as string | string[] | undefined) ?? []);

export const startFleet = async (dialect: DialectName, opts: { clock?: Clock } = {}) => {
  const t: TestServer = await startTestGatehouse(dialect, { clock: opts.clock });

  const newTenant = async (name: string): Promise<Tenant> => {
    const { tenant, tenantToken } = await t.gh.tenants.service.create({ name });
    return { id: tenant.id, admin: (await adminToken(t.gh, { tenantId: tenant.id })).token, tenantToken };
  };

  const call = (
    tenant: Tenant,
    method: Method,
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) =>
    t.app.inject({
      method,
      url,
      headers: { ...bearer(tenant.admin), ...headers },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  /** A device that asked to be authenticated and is still pending. */
  const pending = async (tenant: Tenant, mac = newMac()) => {
    const keys = makeDeviceKeys();
    const first = await t.app.inject(authRequest(keys, { mac }, { tenantToken: tenant.tenantToken }));
    expect(first.statusCode).toBe(401);
    const list = await call(tenant, 'GET', '/api/management/v2/devauth/devices?per_page=500');
    const dev = (
      list.json() as { id: string; identity_data: { mac: string }; auth_sets: { id: string }[] }[]
    ).find((d) => d.identity_data.mac === mac);
    if (!dev) throw new Error('device not recorded');
    return { keys, mac, id: dev.id, authSetId: dev.auth_sets[0]?.id as string };
  };

  /** An accepted device with a token; reports `inventory` if given. */
  const admit = async (tenant: Tenant, inventory?: { name: string; value: unknown }[]): Promise<Admitted> => {
    const p = await pending(tenant);
    const acc = await call(
      tenant,
      'PUT',
      `/api/management/v2/devauth/devices/${p.id}/auth/${p.authSetId}/status`,
      {
        status: 'accepted',
      },
    );
    expect(acc.statusCode).toBe(204);
    const res = await t.app.inject(authRequest(p.keys, { mac: p.mac }, { tenantToken: tenant.tenantToken }));
    expect(res.statusCode).toBe(200);
    const d = { id: p.id, mac: p.mac, token: res.body };
    if (inventory) await report(d, inventory);
    return d;
  };

  /** The device's own inventory report (PUT replaces its inventory scope). */
  const report = async (
    d: Admitted,
    inventory: { name: string; value: unknown }[],
    method: 'PUT' | 'PATCH' = 'PUT',
  ) => {
    const res = await t.app.inject({
      method,
      url: '/api/devices/v1/inventory/device/attributes',
      headers: { ...bearer(d.token), 'content-type': 'application/json' },
      payload: inventory,
    });
    expect(res.statusCode).toBe(200);
  };

  return { t, newTenant, call, pending, admit, report, close: () => t.close() };
};
export type Fleet = Awaited<ReturnType<typeof startFleet>>;
