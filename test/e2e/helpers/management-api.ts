/** The management API (docs/compat/mender-management.md) over real HTTP, as an admin's tools call it. */

export interface AuthSetJson {
  id: string;
  identity_data: Record<string, unknown>;
  pubkey: string;
  status: string;
}

export interface DeviceJson {
  id: string;
  identity_data: Record<string, unknown>;
  status: string;
  auth_sets: AuthSetJson[];
}

export interface HttpResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

const BASE = '/api/management/v2/devauth';

export const managementClient = (baseUrl: string, token: string) => {
  const call = async <T = unknown>(method: string, path: string, body?: unknown): Promise<HttpResult<T>> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  };

  const expectStatus = <T>(r: HttpResult<T>, status: number, what: string): T => {
    if (r.status !== status) {
      throw new Error(`${what}: expected HTTP ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
    }
    return r.body;
  };

  const listDevices = async (status?: string): Promise<DeviceJson[]> => {
    const q = `?per_page=500${status ? `&status=${status}` : ''}`;
    return expectStatus(await call<DeviceJson[]>('GET', `${BASE}/devices${q}`), 200, 'list devices');
  };

  return {
    call,
    listDevices,

    /** Devices whose identity has this mac (the tests give each device its own random mac). */
    devicesWithMac: async (mac: string, status?: string): Promise<DeviceJson[]> =>
      (await listDevices(status)).filter((d) => d.identity_data.mac === mac),

    getDevice: (id: string) => call<DeviceJson>('GET', `${BASE}/devices/${id}`),

    /** POST /devices; returns the new device id from the (relative) Location header. */
    async preauthorize(identityData: Record<string, unknown>, pubkey: string): Promise<string> {
      const r = await call('POST', `${BASE}/devices`, { identity_data: identityData, pubkey });
      expectStatus(r, 201, 'preauthorize');
      const m = /devices\/([^/]+)$/.exec(r.headers.get('location') ?? '');
      if (!m?.[1]) throw new Error(`preauthorize: no device id in Location ${r.headers.get('location')}`);
      return m[1];
    },

    setAuthSetStatus: async (deviceId: string, authSetId: string, status: string) =>
      (await call('PUT', `${BASE}/devices/${deviceId}/auth/${authSetId}/status`, { status })).status,

    decommission: async (deviceId: string) => (await call('DELETE', `${BASE}/devices/${deviceId}`)).status,

    revokeToken: async (jti: string) => (await call('DELETE', `${BASE}/tokens/${jti}`)).status,
  };
};

export type ManagementClient = ReturnType<typeof managementClient>;
