import type { FastifyServerOptions } from 'fastify';
import { expect } from 'vitest';
import type { ConfigFlags } from '../../src/config/config.js';
import type { Clock } from '../../src/core/clock.js';
import type { DialectName } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

// Shared setup of the bootstrap API tests: a Gatehouse, tenants with an admin each, and the calls a
// Magistrala user (management API) and a Magistrala device (bootstrap routes) make.

export type Method = 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';

export interface BsTenant {
  id: string;
  admin: string;
}

let seq = 0;
/** A unique external id per call (MAC-like, as Magistrala's docs use). */
export const newExternalId = (): string => {
  seq += 1;
  return `02:b0:00:${(Date.now() % 256).toString(16).padStart(2, '0')}:${(seq >> 8).toString(16).padStart(2, '0')}:${(seq & 255).toString(16).padStart(2, '0')}`;
};

export const startBootstrap = async (
  dialect: DialectName,
  opts: { flags?: ConfigFlags; clock?: Clock; logger?: FastifyServerOptions['logger'] } = {},
) => {
  const t: TestServer = await startTestGatehouse(dialect, opts);

  const newTenant = async (name: string): Promise<BsTenant> => {
    const { tenant } = await t.gh.tenants.service.create({ name });
    return { id: tenant.id, admin: (await adminToken(t.gh, { tenantId: tenant.id })).token };
  };

  /** A management call under `/bootstrap/{tenant}`. */
  const mgmt = (tenant: BsTenant, method: Method, path: string, payload?: unknown, token = tenant.admin) =>
    t.app.inject({
      method,
      url: `/bootstrap/${tenant.id}${path}`,
      headers: bearer(token),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  const createChannel = async (tenant: BsTenant, name: string): Promise<string> => {
    const res = await mgmt(tenant, 'POST', '/channels', { name });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { id: string }).id;
  };

  /** Uploads a config the way Magistrala's SDK does; returns the id from the Location header. */
  const createConfig = async (tenant: BsTenant, body: Record<string, unknown>): Promise<string> => {
    const res = await mgmt(tenant, 'POST', '/clients/configs', body);
    expect(res.statusCode, res.body).toBe(201);
    const location = String(res.headers.location);
    expect(location).toMatch(/^\/clients\/configs\/[0-9a-f-]{36}$/);
    return location.slice('/clients/configs/'.length);
  };

  const setState = async (tenant: BsTenant, id: string, state: 0 | 1) => {
    const res = await mgmt(tenant, 'PUT', `/clients/state/${id}`, { state });
    expect(res.statusCode, res.body).toBe(200);
  };

  /** A Magistrala device's plain bootstrap request. */
  const fetchPlain = (externalId: string, key: string, address = '127.0.0.1') =>
    t.app.inject({
      method: 'GET',
      url: `/bootstrap/clients/bootstrap/${encodeURIComponent(externalId)}`,
      headers: { authorization: `Client ${key}` },
      remoteAddress: address,
    });

  const fetchSecure = (externalId: string, headerHex: string, address = '127.0.0.1') =>
    t.app.inject({
      method: 'GET',
      url: `/bootstrap/clients/bootstrap/secure/${encodeURIComponent(externalId)}`,
      headers: { authorization: `Client ${headerHex}` },
      remoteAddress: address,
    });

  return {
    t,
    newTenant,
    mgmt,
    createChannel,
    createConfig,
    setState,
    fetchPlain,
    fetchSecure,
    close: () => t.close(),
  };
};
export type BootstrapFixture = Awaited<ReturnType<typeof startBootstrap>>;

/** The error body without its request id: what must be identical across refusals. */
export const refusalOf = (res: { statusCode: number; body: string; headers: Record<string, unknown> }) => {
  const { request_id: _, ...body } = JSON.parse(res.body) as Record<string, unknown>;
  return { status: res.statusCode, body, type: res.headers['content-type'] };
};
