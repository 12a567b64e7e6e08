import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { authRequest, type DeviceKeys } from '../helpers/device-client.js';
import { bearer, type TestServer } from '../helpers/gatehouse.js';
import type { Issued } from '../helpers/openssl.js';

export const ENROLLMENT = '/api/management/v1/enrollment';
export const DEVAUTH = '/api/management/v2/devauth';
/** The edge proxy address the tests' Gatehouse trusts. */
export const PROXY = '10.1.2.3';
export const proxyFlags = { trustedProxies: PROXY, clientCertHeader: 'X-Client-Cert' };

/** The device keys of an openssl-made certificate (the mTLS key signs the auth request, as in mender). */
export const keysOf = (issued: Issued): DeviceKeys => {
  const privateKey = createPrivateKey(readFileSync(issued.key));
  const type = privateKey.asymmetricKeyType;
  return {
    kind: type === 'ed25519' ? 'ed25519' : type === 'rsa' ? 'rsa' : 'ec',
    privateKey,
    publicPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
  };
};

/** nginx's `$ssl_client_escaped_cert`, with the chain appended. */
export const escapedChain = (...certs: Issued[]) => encodeURIComponent(certs.map((c) => c.pem).join(''));

/**
 * A signed auth request that arrives through the edge proxy with a client certificate chain
 * (leaf first). `keys` defaults to the leaf's own key; `identity` to what a stock client sends.
 */
export const certAuth = (
  t: TestServer,
  chain: Issued[],
  opts: {
    keys?: DeviceKeys;
    identity?: Record<string, unknown>;
    peer?: string;
    tenantToken?: string;
  } = {},
) => {
  const leaf = chain[0] as Issued;
  const req = authRequest(opts.keys ?? keysOf(leaf), opts.identity ?? { mac: '02:00:00:00:00:01' }, {
    tenantToken: opts.tenantToken ?? '',
  });
  return t.app.inject({
    ...req,
    remoteAddress: opts.peer ?? PROXY,
    headers: { ...req.headers, 'x-client-cert': escapedChain(...chain) },
  });
};

export interface DeviceWire {
  id: string;
  status: string;
  identity_data: Record<string, unknown>;
  auth_sets: { id: string; status: string; pubkey: string }[];
}

export const listDevices = async (t: TestServer, token: string): Promise<DeviceWire[]> => {
  const res = await t.app.inject({
    method: 'GET',
    url: `${DEVAUTH}/devices?per_page=500`,
    headers: bearer(token),
  });
  expect(res.statusCode).toBe(200);
  return res.json() as DeviceWire[];
};

/** The tenant's device with exactly this identity, if any. */
export const deviceWithIdentity = async (
  t: TestServer,
  token: string,
  identity: Record<string, unknown>,
): Promise<DeviceWire | undefined> =>
  (await listDevices(t, token)).find((d) => JSON.stringify(d.identity_data) === JSON.stringify(identity));

export const auditEvents = async (t: TestServer, token: string, query: string) => {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/management/v1/audit/events?per_page=500&${query}`,
    headers: bearer(token),
  });
  expect(res.statusCode).toBe(200);
  // biome-ignore lint/suspicious/noExplicitAny: event payloads are asserted field by field.
  return res.json() as { id: string; type: string; device_id: string | null; data: any }[];
};

export const createGroup = async (t: TestServer, token: string, body: Record<string, unknown>) => {
  const res = await t.app.inject({
    method: 'POST',
    url: `${ENROLLMENT}/groups`,
    headers: bearer(token),
    payload: body,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string };
};
