import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../helpers/clock.js';
import { dialects } from '../helpers/databases.js';
import {
  type Admitted,
  attr,
  type Fleet,
  type InventoryDevice,
  links,
  startFleet,
  type Tenant,
} from './inventory-fleet.js';

const V2 = '/api/management/v2/inventory';
type Term = { scope: string; attribute: string; type: string; value?: unknown };

describe.each(dialects())('inventory search (management v2) on %s', (dialect) => {
  let f: Fleet;
  let tenant: Tenant;
  let other: Tenant;
  let d1: Admitted;
  let d2: Admitted;
  let d3: Admitted;
  let d4: Admitted;
  let pendingId: string;
  const clock = manualClock(Date.parse('2030-01-01T00:00:00.000Z'));

  beforeAll(async () => {
    f = await startFleet(dialect, { clock });
    tenant = await f.newTenant('search');
    other = await f.newTenant('search-other');
    d1 = await f.admit(tenant, [
      { name: 'device_type', value: 'rpi4' },
      { name: 'cpu', value: 4 },
      { name: 'mem_gb', value: 1.5 },
      { name: 'ipv4', value: ['10.0.0.2/24', '10.0.0.3/24'] },
      { name: 'nums', value: [1, 2, 3] },
      { name: 'artifact_name', value: 'release-2' },
      { name: 'kernel', value: 'Linux 5.10.0 "lts"' },
    ]);
    clock.advance(60_000);
    d2 = await f.admit(tenant, [
      { name: 'device_type', value: 'qemu' },
      { name: 'cpu', value: 16 },
      { name: 'ipv4', value: ['192.168.1.1/24'] },
      { name: 'nums', value: [10, 20] },
      { name: 'artifact_name', value: 'release-10' },
    ]);
    clock.advance(60_000);
    // A string where the others have numbers: never compared with numbers (type bracketing).
    d3 = await f.admit(tenant, [
      { name: 'device_type', value: 'rpi4' },
      { name: 'cpu', value: '8' },
    ]);
    clock.advance(60_000);
    d4 = await f.admit(tenant, [
      { name: 'device_type', value: 'beagle' },
      { name: 'artifact_name', value: 'aaa' },
      { name: 'label', value: `${'a'.repeat(40)}!` },
    ]);
    clock.advance(60_000);
    pendingId = (await f.pending(tenant)).id;
    await f.admit(other, [{ name: 'device_type', value: 'rpi4' }]);
  });
  afterAll(() => f.close());

  const search = (body: unknown, t: Tenant = tenant) => f.call(t, 'POST', `${V2}/filters/search`, body);
  const found = async (body: Record<string, unknown>) => {
    const res = await search({ per_page: 500, ...body });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as InventoryDevice[]).map((d) => d.id);
  };
  const where = async (...filters: Term[]) => new Set(await found({ filters }));
  const inv = (attribute: string, type: string, value?: unknown): Term => ({
    scope: 'inventory',
    attribute,
    type,
    value,
  });
  const ids = (...ds: (Admitted | string)[]) => new Set(ds.map((d) => (typeof d === 'string' ? d : d.id)));

  it('matches $eq on strings, numbers and any element of arrays, keeping types apart', async () => {
    expect(await where(inv('device_type', '$eq', 'rpi4'))).toEqual(ids(d1, d3));
    expect(await where(inv('cpu', '$eq', 16))).toEqual(ids(d2));
    expect(await where(inv('cpu', '$eq', 8))).toEqual(ids());
    expect(await where(inv('cpu', '$eq', '8'))).toEqual(ids(d3));
    expect(await where(inv('mem_gb', '$eq', 1.5))).toEqual(ids(d1));
    expect(await where(inv('ipv4', '$eq', '10.0.0.3/24'))).toEqual(ids(d1));
    expect(await where(inv('nums', '$eq', 20))).toEqual(ids(d2));
    expect(await where(inv('kernel', '$eq', 'Linux 5.10.0 "lts"'))).toEqual(ids(d1));
    expect(await where({ scope: 'identity', attribute: 'status', type: '$eq', value: 'pending' })).toEqual(
      ids(pendingId),
    );
  });

  it('matches $ne, $in, $nin (devices without the attribute match the negations) and $exists', async () => {
    expect(await where(inv('device_type', '$ne', 'rpi4'))).toEqual(ids(d2, d4, pendingId));
    expect(await where(inv('device_type', '$in', ['qemu', 'beagle', 7]))).toEqual(ids(d2, d4));
    expect(await where(inv('cpu', '$in', [4, '8']))).toEqual(ids(d1, d3));
    expect(await where(inv('nums', '$in', [3, 99]))).toEqual(ids(d1));
    expect(await where(inv('ipv4', '$nin', ['192.168.1.1/24']))).toEqual(ids(d1, d3, d4, pendingId));
    expect(await where(inv('cpu', '$exists', true))).toEqual(ids(d1, d2, d3));
    expect(await where(inv('cpu', '$exists', false))).toEqual(ids(d4, pendingId));
    expect(await where(inv('cpu', '$in', []))).toEqual(ids());
  });

  it('compares numbers with numbers and strings with strings ($gt $gte $lt $lte), arrays by any element', async () => {
    expect(await where(inv('cpu', '$gt', 4))).toEqual(ids(d2));
    expect(await where(inv('cpu', '$gte', 4))).toEqual(ids(d1, d2));
    expect(await where(inv('cpu', '$lt', 100))).toEqual(ids(d1, d2));
    expect(await where(inv('cpu', '$lte', '9'))).toEqual(ids(d3));
    expect(await where(inv('mem_gb', '$lt', 2))).toEqual(ids(d1));
    expect(await where(inv('nums', '$gt', 15))).toEqual(ids(d2));
    expect(await where(inv('nums', '$lt', 2))).toEqual(ids(d1));
    // Code-point order: "release-10" < "release-2".
    expect(await where(inv('artifact_name', '$gt', 'release-1'))).toEqual(ids(d1, d2));
    expect(await where(inv('artifact_name', '$lt', 'release-2'))).toEqual(ids(d2, d4));
    expect(await where(inv('cpu', '$gt', 4), inv('device_type', '$eq', 'rpi4'))).toEqual(ids());
  });

  it('matches $regex anchored at the start, on any string element, on both dialects alike', async () => {
    expect(await where(inv('device_type', '$regex', 'rpi'))).toEqual(ids(d1, d3));
    expect(await where(inv('device_type', '$regex', 'pi4'))).toEqual(ids());
    expect(await where(inv('device_type', '$regex', '.*pi4$'))).toEqual(ids(d1, d3));
    expect(await where(inv('device_type', '$regex', 'x|pi4'))).toEqual(ids());
    expect(await where(inv('ipv4', '$regex', '192\\.168\\.'))).toEqual(ids(d2));
    expect(await where(inv('cpu', '$regex', '\\d'))).toEqual(ids(d3));
    expect(await where(inv('device_type', '$regex', 'rpi'), inv('cpu', '$exists', true))).toEqual(
      ids(d1, d3),
    );
    expect(await where(inv('device_type', '$regex', '(rpi|qemu)'), inv('cpu', '$gte', 8))).toEqual(ids(d2));
    expect(
      await where({ scope: 'identity', attribute: 'id', type: '$regex', value: d2.id.slice(0, 12) }),
    ).toEqual(ids(d2));
    expect(await where({ scope: 'identity', attribute: 'mac', type: '$regex', value: d4.mac })).toEqual(
      ids(d4),
    );
  });

  it('stops a catastrophic regular expression and keeps serving', async () => {
    const started = Date.now();
    const res = await search({ filters: [inv('label', '$regex', '(a+)+$')] });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/too expensive/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await where(inv('label', '$regex', 'a+!'))).toEqual(ids(d4));
  });

  it('filters by system times (RFC 3339) and by device id', async () => {
    const created = async (d: Admitted) =>
      attr(
        (await f.call(tenant, 'GET', `/api/management/v1/inventory/devices/${d.id}`)).json(),
        'system',
        'created_ts',
      );
    const t2 = await created(d2);
    const sys = (attribute: string, type: string, value: unknown): Term => ({
      scope: 'system',
      attribute,
      type,
      value,
    });
    expect(await where(sys('created_ts', '$gte', t2))).toEqual(ids(d2, d3, d4, pendingId));
    expect(await where(sys('created_ts', '$lt', t2))).toEqual(ids(d1));
    expect(await where(sys('created_ts', '$eq', t2))).toEqual(ids(d2));
    expect(await where(sys('check_in_time', '$exists', false))).toEqual(ids(pendingId));
    expect(await where(sys('updated_ts', '$gt', '2029-12-31T23:00:00+00:00'))).toEqual(
      ids(d1, d2, d3, d4, pendingId),
    );
    const idTerm = { scope: 'identity', attribute: 'id', type: '$in', value: [d1.id, d3.id] };
    expect(await where(idTerm)).toEqual(ids(d1, d3));
    expect((await search({ filters: [sys('created_ts', '$gt', 'yesterday')] })).statusCode).toBe(400);
    expect((await search({ filters: [sys('created_ts', '$gt', 5)] })).statusCode).toBe(400);
    expect((await search({ filters: [sys('created_ts', '$regex', '2030')] })).statusCode).toBe(400);
  });

  it('sorts: missing values first ascending, numbers before strings, arrays by their extreme element', async () => {
    const accepted = { scope: 'identity', attribute: 'status', type: '$eq', value: 'accepted' };
    const sorted = (attribute: string, order: string, scope = 'inventory') =>
      found({ filters: [accepted], sort: [{ scope, attribute, order }] });
    expect(await sorted('cpu', 'asc')).toEqual([d4.id, d1.id, d2.id, d3.id]);
    expect(await sorted('cpu', 'desc')).toEqual([d3.id, d2.id, d1.id, d4.id]);
    expect((await sorted('nums', 'asc')).slice(2)).toEqual([d1.id, d2.id]);
    expect((await sorted('nums', 'desc')).slice(0, 2)).toEqual([d2.id, d1.id]);
    expect(await sorted('created_ts', 'desc', 'system')).toEqual([d4.id, d3.id, d2.id, d1.id]);
    const twoKeys = await found({
      filters: [accepted],
      sort: [
        { scope: 'inventory', attribute: 'device_type', order: 'desc' },
        { scope: 'inventory', attribute: 'cpu', order: 'asc' },
      ],
    });
    expect(twoKeys).toEqual([d1.id, d3.id, d2.id, d4.id]);
    // A device's newest report moves its updated_ts.
    clock.advance(60_000);
    await f.report(d3, [
      { name: 'device_type', value: 'rpi4' },
      { name: 'cpu', value: '8' },
      { name: 'x', value: 1 },
    ]);
    expect((await sorted('updated_ts', 'desc', 'system'))[0]).toBe(d3.id);
    const byId = await sorted('id', 'asc', 'identity');
    expect(byId).toEqual([...byId].sort());
  });

  it('pages with X-Total-Count and Link, projects attributes, restricts to device ids, searches text', async () => {
    const res = await search({
      page: 2,
      per_page: 2,
      sort: [{ scope: 'system', attribute: 'created_ts', order: 'asc' }],
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-total-count']).toBe('5');
    expect((res.json() as InventoryDevice[]).map((d) => d.id)).toEqual([d3.id, d4.id]);
    expect(links(res.headers.link)).toEqual([
      `<${V2}/filters/search?page=1&per_page=2>; rel="first"`,
      `<${V2}/filters/search?page=1&per_page=2>; rel="prev"`,
      `<${V2}/filters/search?page=3&per_page=2>; rel="next"`,
      `<${V2}/filters/search?page=3&per_page=2>; rel="last"`,
    ]);
    const beyond = await search({ page: 9, per_page: 2 });
    expect(beyond.json()).toEqual([]);
    expect(beyond.headers['x-total-count']).toBe('5');

    const projected = await search({
      device_ids: [d1.id],
      attributes: [
        { scope: 'identity', attribute: 'mac' },
        { scope: 'inventory', attribute: 'ipv4' },
        { scope: 'inventory', attribute: 'nothing' },
      ],
    });
    const [p] = projected.json() as InventoryDevice[];
    expect(p?.attributes).toEqual([
      { name: 'mac', value: d1.mac, scope: 'identity' },
      { name: 'ipv4', value: ['10.0.0.2/24', '10.0.0.3/24'], scope: 'inventory' },
    ]);
    expect(p?.updated_ts).toEqual(expect.any(String));
    expect(new Set(await found({ device_ids: [d1.id, d2.id, 'junk'] }))).toEqual(ids(d1, d2));
    expect(await found({ device_ids: [] })).toHaveLength(5);
    expect(await found({ device_ids: ['junk'] })).toEqual([]);
    expect(await found({ text: 'LINUX' })).toEqual([d1.id]);
    expect(await found({ text: 'linux "lts"' })).toEqual([d1.id]);
    expect(await found({ text: 'linux qemu' })).toEqual([]);
    expect(await found({ text: '100%' })).toEqual([]);
  });

  it("takes any scope, as Mender's web UI sends them: another scope's attributes match nothing", async () => {
    const monitor = (type: string, value?: unknown): Term => ({
      scope: 'monitor',
      attribute: 'alerts',
      type,
      value,
    });
    expect(await where(monitor('$eq', 'a'))).toEqual(ids());
    expect(await where(monitor('$in', [1, 'a']))).toEqual(ids());
    expect(await where(monitor('$exists', true))).toEqual(ids());
    expect(await where(monitor('$gt', 0))).toEqual(ids());
    expect(await where(monitor('$regex', 'a'))).toEqual(ids());
    const all = ids(d1, d2, d3, d4, pendingId);
    expect(await where(monitor('$ne', 'a'))).toEqual(all);
    expect(await where(monitor('$nin', ['a', 2]))).toEqual(all);
    expect(await where(monitor('$exists', false))).toEqual(all);
    // The UI's count of a status tab: per_page 1, X-Total-Count, the columns it shows.
    const res = await search({
      page: 1,
      per_page: 1,
      filters: [{ scope: 'identity', attribute: 'status', type: '$eq', value: 'accepted' }],
      sort: [{ scope: 'monitor', attribute: 'alerts', order: 'desc' }],
      attributes: [
        { scope: 'identity', attribute: 'status' },
        { scope: 'inventory', attribute: 'device_type' },
        { scope: 'monitor', attribute: 'alerts' },
        { scope: 'system', attribute: 'created_ts' },
        { scope: 'tags', attribute: 'name' },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-total-count']).toBe('4');
    const [first] = res.json() as InventoryDevice[];
    expect(first?.attributes.some((a) => a.scope === 'monitor')).toBe(false);
    expect(first?.attributes).toContainEqual({ name: 'status', value: 'accepted', scope: 'identity' });
  });

  it('lists the filterable attributes with device counts', async () => {
    const res = await f.call(tenant, 'GET', `${V2}/filters/attributes`);
    expect(res.statusCode).toBe(200);
    const list = res.json() as { name: string; scope: string; count: number }[];
    expect(list).toContainEqual({ name: 'device_type', scope: 'inventory', count: 4 });
    expect(list).toContainEqual({ name: 'status', scope: 'identity', count: 5 });
    expect(list).toContainEqual({ name: 'created_ts', scope: 'system', count: 5 });
    expect(list).toContainEqual({ name: 'check_in_time', scope: 'system', count: 4 });
    expect(list).toContainEqual({ name: 'label', scope: 'inventory', count: 1 });
    const counts = list.map((a) => a.count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    const theirs = (await f.call(other, 'GET', `${V2}/filters/attributes`)).json() as { name: string }[];
    expect(theirs.some((a) => a.name === 'label')).toBe(false);
  });

  it("never finds another tenant's devices", async () => {
    const theirs = await search({ per_page: 500 }, other);
    expect(theirs.json()).toHaveLength(1);
    expect(await found({ device_ids: [(theirs.json() as InventoryDevice[])[0]?.id as string] })).toEqual([]);
  });

  it('answers 400 to bad searches', async () => {
    const bad = async (body: unknown, message?: RegExp) => {
      const res = await search(body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 200)).toBe(400);
      if (message) expect(res.json().error).toMatch(message);
    };
    await bad({ filters: [inv('cpu', '$like', 1)] }, /unsupported filter type/);
    await bad({ filters: [inv('cpu', '$in', 4)] }, /array/);
    await bad({ filters: [inv('cpu', '$exists', 'yes')] }, /boolean/);
    await bad({ filters: [inv('cpu', '$eq', { a: 1 })] }, /string or a number/);
    await bad({ filters: [inv('cpu', '$eq')] });
    await bad({ filters: [inv('cpu', '$regex', '(')] }, /regular expression/);
    await bad({ filters: [inv('cpu', '$regex', 'a'.repeat(600))] });
    await bad({ filters: [{ scope: 'a b', attribute: 'x', type: '$eq', value: 1 }] }, /scope must be/);
    await bad({ sort: [{ scope: 'm/x', attribute: 'x', order: 'asc' }] }, /scope must be/);
    await bad({ filters: [{ scope: 'inventory', attribute: '', type: '$eq', value: 1 }] });
    await bad({ filters: Array.from({ length: 33 }, () => inv('cpu', '$exists', true)) });
    await bad({ sort: [{ scope: 'inventory', attribute: 'cpu', order: 'up' }] }, /sort order/);
    await bad({ per_page: 501 }, /above limit/);
    await bad({ page: 0 });
    await bad({ page: '1' });
    await bad({ text: 'x'.repeat(300) });
    await bad({ text: Array.from({ length: 20 }, (_, i) => `w${i}`).join(' ') }, /keywords/);
    await bad({ attributes: [{ scope: 'no pe', attribute: 'x' }] });
    await bad({ attributes: [{ scope: 'x'.repeat(33), attribute: 'x' }] });
    await bad([]);
    const notJson = await f.t.app.inject({
      method: 'POST',
      url: `${V2}/filters/search`,
      headers: { authorization: `Bearer ${tenant.admin}`, 'content-type': 'application/xml' },
      payload: 'x',
    });
    expect(notJson.statusCode).toBe(415);
  });
});
