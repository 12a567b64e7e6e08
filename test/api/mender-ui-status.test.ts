import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

// After the operator accepts, rejects or removes a device, Mender's web UI reads the device
// again at once: its auth sets (devauth), and the list and counts it shows (an inventory search
// on `identity/status` with `per_page: 1` for each count). Each read must already see the change:
// nothing is eventually consistent between devauth and inventory.

const DEVAUTH = '/api/management/v2/devauth/devices';
const SEARCH = '/api/management/v2/inventory/filters/search';

describe.each(dialects())('auth status as the UI reads it after a change, on %s', (dialect) => {
  let t: TestServer;
  let admin: string;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
    admin = (await adminToken(t.gh)).token;
  });
  afterAll(() => t.close());

  const count = async (status: string, mac: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: SEARCH,
      headers: bearer(admin),
      payload: {
        page: 1,
        per_page: 1,
        filters: [
          { scope: 'identity', attribute: 'status', type: '$eq', value: status },
          { scope: 'identity', attribute: 'mac', type: '$eq', value: mac },
        ],
        attributes: [{ scope: 'identity', attribute: 'status' }],
      },
    });
    expect(res.statusCode).toBe(200);
    return Number(res.headers['x-total-count']);
  };
  const devauthStatus = async (id: string) => {
    const res = await t.app.inject({ method: 'GET', url: `${DEVAUTH}/${id}`, headers: bearer(admin) });
    return res.statusCode === 200 ? (res.json() as { status: string }).status : res.statusCode;
  };

  it.each(['ed25519', 'rsa', 'ec'] as const)(
    'accept, reject and remove (%s key) show at once',
    async (kind) => {
      const keys = makeDeviceKeys(kind);
      const mac = `02:00:00:${kind.length}:${Math.floor(Math.random() * 89 + 10)}:01`;
      const identity = { mac };
      expect((await t.app.inject(authRequest(keys, identity))).statusCode).toBe(401);

      const listed = await t.app.inject({
        method: 'GET',
        url: `${DEVAUTH}?status=pending&per_page=500`,
        headers: bearer(admin),
      });
      const device = (
        listed.json() as { id: string; identity_data: { mac?: string }; auth_sets: { id: string }[] }[]
      ).find((d) => d.identity_data.mac === mac);
      expect(device).toBeDefined();
      const { id } = device as { id: string; auth_sets: { id: string }[] };
      const authId = (device as { auth_sets: { id: string }[] }).auth_sets[0]?.id;
      expect(await count('pending', mac)).toBe(1);

      const setStatus = (status: string) =>
        t.app.inject({
          method: 'PUT',
          url: `${DEVAUTH}/${id}/auth/${authId}/status`,
          headers: bearer(admin),
          payload: { status },
        });

      expect((await setStatus('accepted')).statusCode).toBe(204);
      expect(await devauthStatus(id)).toBe('accepted');
      expect(await count('accepted', mac)).toBe(1);
      expect(await count('pending', mac)).toBe(0);
      const issued = await t.app.inject(authRequest(keys, identity));
      expect(issued.statusCode).toBe(200);
      const deviceToken = issued.body;
      const poll = () =>
        t.app.inject({
          method: 'GET',
          url: '/api/devices/v1/deployments/device/deployments/next?device_type=beaglebone&artifact_name=a1',
          headers: bearer(deviceToken),
        });
      expect((await poll()).statusCode).toBe(204);

      expect((await setStatus('rejected')).statusCode).toBe(204);
      expect(await devauthStatus(id)).toBe('rejected');
      expect(await count('rejected', mac)).toBe(1);
      expect(await count('accepted', mac)).toBe(0);
      expect((await poll()).statusCode).toBe(401);

      const removed = await t.app.inject({
        method: 'DELETE',
        url: `${DEVAUTH}/${id}`,
        headers: bearer(admin),
      });
      expect(removed.statusCode).toBe(204);
      expect(await devauthStatus(id)).toBe(404);
      expect(await count('rejected', mac)).toBe(0);
    },
  );
});
