import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { authRequestBody, makeDeviceKeys, signBody } from '../helpers/device-client.js';

/** Sends a body with Transfer-Encoding: chunked (no Content-Length), as the Mender client's proxy does. */
const chunked = (url: string, method: string, headers: Record<string, string>, parts: string[]) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const p of parts) req.write(p);
    req.end();
  });

describe.each(dialects())('chunked device requests over a real socket on %s', (dialect) => {
  let db: TestDatabase;
  let server: RunningServer;
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    server = await startServer(
      loadConfig({ dataDir: db.dataDir, databaseUrl: db.url, listen: '127.0.0.1:0', logLevel: 'silent' }, {}),
    );
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  it('accepts chunked inventory reports from an authenticated device', async () => {
    const keys = makeDeviceKeys('ec');
    const body = authRequestBody({ mac: 'chunky' }, keys.publicPem);
    const auth = () =>
      fetch(`${server.url}/api/devices/v1/authentication/auth_requests`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-men-signature': signBody(keys, body),
          authorization: 'Bearer',
        },
        body,
      });
    expect((await auth()).status).toBe(401);
    const tenantId = '00000000-0000-4000-8000-000000000000';
    const [dev] = (await server.gh.devauth.admin.listDevices(tenantId, { page: { page: 1, perPage: 1 } }))
      .devices;
    await server.gh.devauth.admin.setAuthSetStatus(
      tenantId,
      dev?.id as string,
      dev?.authSets[0]?.id as string,
      'accepted',
    );
    const token = await (await auth()).text();

    const res = await chunked(
      `${server.url}/api/devices/v1/inventory/device/attributes`,
      'PUT',
      { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-encoding': 'gzip' },
      [
        '[{"name":"device_type","value":"qemux86-64"},',
        '{"name":"ipv4","value":["10.0.0.2/24","10.0.0.3/24"]}]\n',
      ],
    );
    expect(res).toEqual({ status: 200, body: '' });
    const attrs = (await server.gh.inventory.device.deviceAttributes(tenantId, dev?.id as string)).filter(
      (a) => a.scope === 'inventory',
    );
    expect(attrs.map((a) => [a.name, a.value])).toEqual([
      ['device_type', 'qemux86-64'],
      ['ipv4', ['10.0.0.2/24', '10.0.0.3/24']],
    ]);

    const bad = await chunked(
      `${server.url}/api/devices/v1/inventory/device/attributes`,
      'PATCH',
      { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ['[{"name":"x","value":true}]'],
    );
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/supported types/);
  });
});
