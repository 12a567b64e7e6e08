import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBSTRING_SEARCH_MAX_DEVICES } from '../../src/core/search-policy.js';
import { dialects } from '../helpers/databases.js';
import { fleetMac, fleetSite, type SeededFleet, seedFleet } from '../helpers/fleet-seed.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

// The device list at scale (docs/console-api.md): keyset pagination with `after` and the
// `Link: rel="next"` header, Mender's page numbers beside it, and how `q` matches values in a
// tenant above SUBSTRING_SEARCH_MAX_DEVICES devices (by prefix, said in X-Search-Match).

const DEVAUTH = '/api/management/v2/devauth';
type DeviceJson = { id: string; status: string; identity_data: { mac?: string } };

const nextLink = (link: string | string[] | undefined): string | undefined => {
  const all = Array.isArray(link) ? link : link === undefined ? [] : [link];
  return /<([^>]+)>; rel="next"/.exec(all.find((l) => l.includes('rel="next"')) ?? '')?.[1];
};

describe.each(dialects())('device list at scale on %s', (dialect) => {
  let t: TestServer;
  const tenants: Record<'small' | 'big', { id: string; token: string; fleet: SeededFleet }> = {} as never;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
    for (const [name, devices] of [
      ['small', 60],
      ['big', SUBSTRING_SEARCH_MAX_DEVICES + 1],
    ] as const) {
      const created = await t.gh.tenants.service.create({ name });
      tenants[name] = {
        id: created.tenant.id,
        token: (await adminToken(t.gh, { tenantId: created.tenant.id })).token,
        fleet: await seedFleet(t.gh.store, { tenantId: created.tenant.id, devices }),
      };
    }
  }, 120_000);
  afterAll(() => t?.close());

  const get = async (tenant: 'small' | 'big', url: string) => {
    const res = await t.app.inject({ method: 'GET', url, headers: bearer(tenants[tenant].token) });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return res;
  };
  const ids = (body: string) => (JSON.parse(body) as DeviceJson[]).map((d) => d.id);

  it('walks the whole list with after= cursors, in the order of the page numbers', async () => {
    for (const filter of ['', '&status=accepted', '&status=pending&status=rejected']) {
      const all = await get('small', `${DEVAUTH}/devices?per_page=500${filter}`);
      const total = Number(all.headers['x-total-count']);
      expect(total).toBeGreaterThan(5);
      const walked: string[] = [];
      let url: string | undefined = `${DEVAUTH}/devices?per_page=7&after=${filter}`;
      while (url) {
        const res = await get('small', url);
        const page = ids(res.body);
        expect(page.length).toBeLessThanOrEqual(7);
        expect(res.headers['x-total-count']).toBe(String(total));
        expect(String(res.headers.link)).toContain('after=>; rel="first"');
        walked.push(...page);
        url = nextLink(res.headers.link);
        if (url) expect(page).toHaveLength(7);
      }
      expect(walked).toEqual(ids(all.body));
      // Page numbers still work, deep ones too, and say the same.
      const third = await get('small', `${DEVAUTH}/devices?per_page=2&page=3${filter}`);
      expect(ids(third.body)).toEqual(walked.slice(4, 6));
      // Every page number, those past the middle (counted from the end) and the partial last one
      // included, is the same slice of the list.
      for (let n = 1; n <= Math.ceil(total / 7) + 1; n++) {
        const page = await get('small', `${DEVAUTH}/devices?per_page=7&page=${n}${filter}`);
        expect(ids(page.body), `page ${n}${filter}`).toEqual(walked.slice((n - 1) * 7, n * 7));
      }
    }
  });

  it('continues after the cursor whatever happened before it', async () => {
    const first = await get('small', `${DEVAUTH}/devices?per_page=10&after=`);
    const next = nextLink(first.headers.link) as string;
    // The first device of page 1 goes: page 2 by cursor is still the devices after page 1.
    const gone = ids(first.body)[0] as string;
    const expected = ids((await get('small', `${DEVAUTH}/devices?per_page=10&page=2`)).body);
    await t.gh.devauth.admin.decommission(tenants.small.id, gone);
    expect(ids((await get('small', next)).body)).toEqual(expected);
  });

  it('refuses cursors it did not give out, and page with after', async () => {
    for (const query of [
      'after=nope!',
      `after=${Buffer.from('1.x').toString('base64url')}`,
      'page=2&after=',
    ]) {
      const res = await t.app.inject({
        method: 'GET',
        url: `${DEVAUTH}/devices?${query}`,
        headers: bearer(tenants.small.token),
      });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error).toEqual(expect.any(String));
    }
  });

  it('matches values by any part in a small tenant, by their start in a large one, and says so', async () => {
    const middle = fleetMac(5).slice(3, 11); // "00:00:00" ... a part of the MAC, not its start
    const small = await get('small', `${DEVAUTH}/devices?per_page=500&q=${encodeURIComponent(middle)}`);
    expect(small.headers['x-search-match']).toBe('substring');
    expect(ids(small.body).length).toBeGreaterThan(0);

    const big = tenants.big.fleet.devices;
    const target = big[4321] as SeededFleet['devices'][number];
    const prefix = target.mac.slice(0, 14); // 256 devices share it
    const byPrefix = await get('big', `${DEVAUTH}/devices?per_page=500&q=${encodeURIComponent(prefix)}`);
    expect(byPrefix.headers['x-search-match']).toBe('prefix');
    const sharing = big.filter((d) => d.mac.startsWith(prefix)).map((d) => d.id);
    expect(ids(byPrefix.body).sort()).toEqual([...sharing].sort());
    expect(byPrefix.headers['x-total-count']).toBe(String(sharing.length));
    // Upper case, and the count route, the same.
    const count = await get('big', `${DEVAUTH}/devices/count?q=${encodeURIComponent(prefix.toUpperCase())}`);
    expect(count.json()).toEqual({ count: sharing.length });
    expect(count.headers['x-search-match']).toBe('prefix');
    // A part that is not the start of a value matches nothing here.
    const part = target.mac.slice(6);
    const none = await get('big', `${DEVAUTH}/devices?q=${encodeURIComponent(part)}`);
    expect(ids(none.body)).toEqual([]);
    // Id and fingerprint prefixes are found in any tenant.
    const byId = await get('big', `${DEVAUTH}/devices?q=${target.id.slice(0, 13)}`);
    expect(ids(byId.body)).toContain(target.id);
    const byKey = await get('big', `${DEVAUTH}/devices?q=${target.fingerprint?.slice(0, 12)}`);
    expect(ids(byKey.body)).toEqual([target.id]);
  });

  it('filters a large tenant by group and tag, with totals, whichever way the page is read', async () => {
    const big = tenants.big.fleet.devices;
    const inGroup = big.filter((d) => d.status === 'accepted' && d.index % 100 === 7).map((d) => d.id);
    const tagged = big
      .filter((d) => d.status === 'accepted' && fleetSite(d.index) === 'site-3')
      .map((d) => d.id);
    for (const [query, want] of [
      ['group=group-7', inGroup],
      ['tag=site%3Dsite-3', tagged],
      ['group=group-7&status=pending', []],
    ] as const) {
      const all = await get('big', `${DEVAUTH}/devices?per_page=500&${query}`);
      expect(ids(all.body), query).toEqual(want);
      expect(all.headers['x-total-count']).toBe(String(want.length));
      // A deep page (read from the ids) and a first page (read along the index) agree.
      const last = await get(
        'big',
        `${DEVAUTH}/devices?per_page=3&page=${Math.max(1, Math.ceil(want.length / 3))}&${query}`,
      );
      expect(ids(last.body)).toEqual(want.slice(Math.max(0, Math.ceil(want.length / 3) - 1) * 3));
      const beforeLast = Math.ceil(want.length / 3) - 1;
      if (beforeLast >= 1) {
        const page = await get('big', `${DEVAUTH}/devices?per_page=3&page=${beforeLast}&${query}`);
        expect(ids(page.body)).toEqual(want.slice((beforeLast - 1) * 3, beforeLast * 3));
      }
      expect(ids((await get('big', `${DEVAUTH}/devices?per_page=3&${query}`)).body)).toEqual(
        want.slice(0, 3),
      );
    }
  });

  it('searches the inventory of a large tenant by value prefix (v2 text)', async () => {
    const target = tenants.big.fleet.devices[4321] as SeededFleet['devices'][number];
    const search = (text: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/management/v2/inventory/filters/search',
        headers: bearer(tenants.big.token),
        payload: { text, per_page: 500 },
      });
    const prefix = target.mac.slice(0, 14);
    const res = await search(prefix);
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as { id: string }[]).map((d) => d.id)).toContain(target.id);
    const sharing = tenants.big.fleet.devices.filter((d) => d.mac.startsWith(prefix));
    expect(res.headers['x-total-count']).toBe(String(sharing.length));
    expect((await search(target.mac.slice(6))).json()).toEqual([]);
  });
});
