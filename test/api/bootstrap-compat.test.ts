import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEvents } from '../../src/events/index.js';
import { dialects } from '../helpers/databases.js';
import { type BootstrapFixture, type BsTenant, newExternalId, startBootstrap } from './bootstrap-setup.js';

type View = {
  client_id: string;
  external_id: string;
  name?: string;
  content?: string;
  state: number;
  channels: { id: string; name: string; connected: boolean }[];
  [k: string]: unknown;
};

describe.each(dialects())('Magistrala-compatible bootstrap on %s', (dialect) => {
  let f: BootstrapFixture;
  let tenant: BsTenant;
  let other: BsTenant;
  let telemetry: string;
  let control: string;

  beforeAll(async () => {
    f = await startBootstrap(dialect);
    tenant = await f.newTenant('bootstrap');
    other = await f.newTenant('bootstrap-other');
    telemetry = await f.createChannel(tenant, 'telemetry');
    control = await f.createChannel(tenant, 'control');
  });
  afterAll(() => f.close());

  const view = async (id: string, t = tenant) => {
    const res = await f.mgmt(t, 'GET', `/clients/configs/${id}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as View;
  };

  it("runs the seed's flow in its order: upload, bootstrap (200), then connect with state 1 and disconnect with 0", async () => {
    const externalId = newExternalId();
    const id = await f.createConfig(tenant, {
      external_id: externalId,
      external_key: 'key',
      channels: [telemetry, control],
      content: '{"broker":"mqtts://broker.example:8883"}',
      name: 'gw-seed',
      client_cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
      client_key: '-----BEGIN PRIVATE KEY-----\nseed-key\n-----END PRIVATE KEY-----',
      ca_cert: '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----',
    });
    const expected = {
      client_id: id,
      client_secret: expect.stringMatching(/^[0-9a-f-]{36}$/),
      channels: [
        { id: control, name: 'control' },
        { id: telemetry, name: 'telemetry' },
      ],
      content: '{"broker":"mqtts://broker.example:8883"}',
      client_cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
      client_key: '-----BEGIN PRIVATE KEY-----\nseed-key\n-----END PRIVATE KEY-----',
      ca_cert: '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----',
    };
    // Seed step 3, before any state change: the uploaded config is delivered; its client is not
    // connected to its channels yet (state 0), and it is not held.
    const uploaded = await view(id);
    expect(uploaded).toMatchObject({ state: 0, held: false });
    expect(uploaded.channels.map((c) => c.connected)).toEqual([false, false]);
    const first = await f.fetchPlain(externalId, 'key');
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers['content-type']).toMatch(/^application\/json/);
    expect(first.json()).toEqual(expected);
    await f.t.gh.bootstrap.flushEvents();

    // Step 4: connect. State is the channel connections; delivery goes on in either state.
    await f.setState(tenant, id, 1);
    const enabled = await view(id);
    expect(enabled.state).toBe(1);
    expect(enabled.channels.every((c) => c.connected)).toBe(true);
    const again = await f.fetchPlain(externalId, 'key');
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual(expected);
    await f.t.gh.bootstrap.flushEvents();

    await f.setState(tenant, id, 0);
    const disabled = await view(id);
    expect(disabled.state).toBe(0);
    expect(disabled.channels.every((c) => !c.connected)).toBe(true);
    expect((await f.fetchPlain(externalId, 'key')).statusCode).toBe(200);
    await f.t.gh.bootstrap.flushEvents();

    const events = await listEvents(f.t.gh.store.db, tenant.id, { limit: 1000 });
    const mine = events.filter((e) => e.payload.client_id === id || e.payload.external_id === externalId);
    expect(mine.map((e) => e.type)).toEqual([
      'bootstrap.config_created',
      'bootstrap.fetched',
      'bootstrap.state_changed',
      'bootstrap.fetched',
      'bootstrap.state_changed',
      'bootstrap.fetched',
    ]);
    expect(mine[0]?.payload).toMatchObject({ state: 0, held: false });
    expect(mine[1]?.payload).toMatchObject({ mode: 'plain', external_id: externalId, source: '127.0.0.1' });
  });

  it('answers the bare route and other Authorization schemes with 400, as Magistrala', async () => {
    const eid = newExternalId();
    for (const headers of [{}, { authorization: 'Bearer key' }, { authorization: 'Client ' }]) {
      const res = await f.t.app.inject({
        method: 'GET',
        url: `/bootstrap/clients/bootstrap/${eid}`,
        headers,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        error: expect.stringMatching(/Client <external key>/),
        message: expect.any(String),
      });
    }
    expect((await f.t.app.inject({ method: 'GET', url: '/bootstrap/clients/bootstrap/' })).statusCode).toBe(
      400,
    );
  });

  it('lists with offset/limit and the filters state, external_id, client_id, client_key and name', async () => {
    const t = await f.newTenant('listing');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        await f.createConfig(t, {
          external_id: `list-${i}`,
          external_key: `k${i}`,
          name: i === 3 ? 'Gate_100%' : `gateway ${i}`,
          client_secret: `secret-${i}`,
        }),
      );
    }
    await f.setState(t, ids[1] as string, 1);
    const list = async (q: string) => {
      const res = await f.mgmt(t, 'GET', `/clients/configs${q}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { total: number; offset: number; limit: number; configs: View[] };
    };
    const all = await list('');
    expect(all).toMatchObject({ total: 5, offset: 0, limit: 10 });
    expect(all.configs.map((c) => c.client_id)).toEqual([...ids].sort());
    const page = await list('?offset=1&limit=2');
    expect(page).toMatchObject({ total: 5, offset: 1, limit: 2 });
    expect(page.configs.map((c) => c.client_id)).toEqual([...ids].sort().slice(1, 3));
    expect((await list('?state=1')).configs.map((c) => c.client_id)).toEqual([ids[1]]);
    expect((await list('?state=0')).total).toBe(4);
    expect((await list('?external_id=list-2')).configs.map((c) => c.client_id)).toEqual([ids[2]]);
    expect((await list(`?client_id=${ids[4]}`)).configs.map((c) => c.external_id)).toEqual(['list-4']);
    expect((await list('?client_key=secret-0')).configs.map((c) => c.client_id)).toEqual([ids[0]]);
    expect((await list('?name=GATEWAY')).total).toBe(4);
    expect((await list('?name=_100%25')).configs.map((c) => c.client_id)).toEqual([ids[3]]);
    expect((await list('?name=%25')).total).toBe(1);
    expect((await f.mgmt(t, 'GET', '/clients/configs?limit=101')).statusCode).toBe(400);
    expect((await f.mgmt(t, 'GET', '/clients/configs?offset=-1')).statusCode).toBe(400);
  });

  it('updates name and content, certs (the key is not echoed), and connections', async () => {
    const eid = newExternalId();
    const id = await f.createConfig(tenant, {
      external_id: eid,
      external_key: 'k',
      channels: [telemetry],
      name: 'n1',
    });
    // Magistrala's SDK PUTs a whole config (channels as objects, keys...): extra fields are ignored.
    const put = await f.mgmt(tenant, 'PUT', `/clients/configs/${id}`, {
      name: 'n2',
      content: 'c2',
      client_id: id,
      external_key: 'ignored',
      channels: [{ id: telemetry, name: 'telemetry' }],
      state: 1,
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.body).toBe('');
    expect(await view(id)).toMatchObject({ name: 'n2', content: 'c2', state: 0 });
    const cleared = await f.mgmt(tenant, 'PUT', `/clients/configs/${id}`, {});
    expect(cleared.statusCode).toBe(200);
    const v = await view(id);
    expect(v.name).toBeUndefined();
    expect(v.content).toBeUndefined();

    const certs = await f.mgmt(tenant, 'PATCH', `/clients/configs/certs/${id}`, {
      client_cert: 'CERT',
      client_key: 'PRIVATE-KEY-PATCHED',
      ca_cert: 'CA',
    });
    expect(certs.statusCode, certs.body).toBe(200);
    expect(certs.json()).toEqual({ client_id: id, client_cert: 'CERT', ca_cert: 'CA' });
    expect(await view(id)).toMatchObject({ client_cert: 'CERT', ca_cert: 'CA', has_client_key: true });

    await f.setState(tenant, id, 1);
    const conn = await f.mgmt(tenant, 'PUT', `/clients/configs/connections/${id}`, { channels: [control] });
    expect(conn.statusCode, conn.body).toBe(200);
    expect((await view(id)).channels).toEqual([expect.objectContaining({ id: control, connected: true })]);
    const delivered = (await f.fetchPlain(eid, 'k')).json() as {
      channels: { id: string }[];
      client_key: string;
    };
    expect(delivered.channels.map((c) => c.id)).toEqual([control]);
    expect(delivered.client_key).toBe('PRIVATE-KEY-PATCHED');

    const unknown = await f.mgmt(tenant, 'PUT', `/clients/configs/connections/${id}`, {
      channels: [control, 'nope'],
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatch(/unknown channel ids: nope/);
  });

  it('delivers each channel with its metadata, by name, and an empty list for a config without channels', async () => {
    const metadata = { qos: 1, topics: ['a/b', 'ü/€'], nested: { retain: false, none: null } };
    const created = await f.mgmt(tenant, 'POST', '/channels', { name: 'aa-meta', metadata });
    expect(created.statusCode, created.body).toBe(201);
    const withMeta = (created.json() as { id: string }).id;
    const eid = newExternalId();
    await f.createConfig(tenant, { external_id: eid, external_key: 'k', channels: [telemetry, withMeta] });
    const delivered = (await f.fetchPlain(eid, 'k')).json() as { channels: unknown[] };
    expect(delivered.channels).toEqual([
      { id: withMeta, name: 'aa-meta', metadata },
      { id: telemetry, name: 'telemetry' },
    ]);
    const bare = newExternalId();
    await f.createConfig(tenant, { external_id: bare, external_key: 'k' });
    expect((await f.fetchPlain(bare, 'k')).json()).toMatchObject({ channels: [] });
  });

  it('refuses unknown or foreign channels, duplicates, bad ids and bad templates', async () => {
    const otherChannel = await f.createChannel(other, 'theirs');
    const create = (body: Record<string, unknown>, t = tenant) => f.mgmt(t, 'POST', '/clients/configs', body);
    expect(
      (await create({ external_id: newExternalId(), external_key: 'k', channels: [otherChannel] }))
        .statusCode,
    ).toBe(400);
    expect(
      (await create({ external_id: newExternalId(), external_key: 'k', channels: [''] })).statusCode,
    ).toBe(400);
    expect((await create({ external_id: '', external_key: 'k' })).statusCode).toBe(400);
    expect((await create({ external_id: newExternalId(), external_key: '' })).statusCode).toBe(400);
    expect(
      (await create({ external_id: newExternalId(), external_key: 'k', client_id: 'not-a-uuid' })).statusCode,
    ).toBe(400);
    const tpl = await create({
      external_id: newExternalId(),
      external_key: 'k',
      content: '{{nope}}',
      content_template: 'text',
    });
    expect(tpl.statusCode).toBe(400);
    expect(tpl.json().error).toMatch(/invalid content template/);

    const eid = newExternalId();
    const id = await f.createConfig(tenant, { external_id: eid, external_key: 'k', name: 'dup-name' });
    const again = await create({ external_id: eid, external_key: 'k2' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatch(/external_id/);
    expect(
      (await create({ external_id: newExternalId(), external_key: 'k', name: 'dup-name' })).json().error,
    ).toMatch(/name/);
    expect(
      (await create({ external_id: newExternalId(), external_key: 'k', client_id: id })).statusCode,
    ).toBe(409);
    // External ids are unique per tenant, not globally: another tenant may use the same one.
    await f.createConfig(other, { external_id: eid, external_key: 'k-other' });
  });

  it("keeps tenants apart: another domain's path, config or channel is a 404; read-only users only read", async () => {
    const id = await f.createConfig(tenant, { external_id: newExternalId(), external_key: 'k' });
    const asOther = await f.t.app.inject({
      method: 'GET',
      url: `/bootstrap/${tenant.id}/clients/configs/${id}`,
      headers: { authorization: `Bearer ${other.admin}` },
    });
    expect(asOther.statusCode).toBe(404);
    expect(asOther.json()).toMatchObject({ error: 'domain not found', message: 'domain not found' });
    expect((await f.mgmt(other, 'GET', `/clients/configs/${id}`)).statusCode).toBe(404);
    expect((await f.mgmt(other, 'PUT', `/clients/state/${id}`, { state: 1 })).statusCode).toBe(404);
    expect((await f.mgmt(other, 'GET', `/channels/${telemetry}`)).statusCode).toBe(404);
    expect(
      (await f.t.app.inject({ method: 'GET', url: `/bootstrap/${tenant.id}/clients/configs` })).statusCode,
    ).toBe(401);

    const { adminToken } = await import('../helpers/gatehouse.js');
    const ro = (await adminToken(f.t.gh, { tenantId: tenant.id, role: 'readonly' })).token;
    expect((await f.mgmt(tenant, 'GET', '/clients/configs', undefined, ro)).statusCode).toBe(200);
    expect((await f.mgmt(tenant, 'PUT', `/clients/state/${id}`, { state: 1 }, ro)).statusCode).toBe(403);
  });

  it('validates state, content type and removes configs (204, then 404)', async () => {
    const eid = newExternalId();
    const id = await f.createConfig(tenant, { external_id: eid, external_key: 'k' });
    for (const state of [2, '1', null]) {
      expect((await f.mgmt(tenant, 'PUT', `/clients/state/${id}`, { state })).statusCode).toBe(400);
    }
    const text = await f.t.app.inject({
      method: 'POST',
      url: `/bootstrap/${tenant.id}/clients/configs`,
      headers: { authorization: `Bearer ${tenant.admin}`, 'content-type': 'text/plain' },
      payload: 'x',
    });
    expect(text.statusCode).toBe(415);
    expect((await f.mgmt(tenant, 'DELETE', `/clients/configs/${id}`)).statusCode).toBe(204);
    expect((await f.mgmt(tenant, 'DELETE', `/clients/configs/${id}`)).statusCode).toBe(404);
    expect((await f.mgmt(tenant, 'GET', `/clients/configs/${id}`)).statusCode).toBe(404);
  });

  it('manages channels: create (201, id, Location), list, rename, delete (configs stop listing it)', async () => {
    const t = await f.newTenant('channels');
    const res = await f.mgmt(t, 'POST', '/channels', { name: 'alerts', metadata: { qos: 1 } });
    expect(res.statusCode).toBe(201);
    const ch = res.json() as { id: string; name: string; metadata: unknown };
    expect(res.headers.location).toBe(`/bootstrap/${t.id}/channels/${ch.id}`);
    expect(ch).toMatchObject({ name: 'alerts', metadata: { qos: 1 } });
    expect((await f.mgmt(t, 'POST', '/channels', { name: 'alerts' })).statusCode).toBe(409);
    expect((await f.mgmt(t, 'POST', '/channels', { name: '   ' })).statusCode).toBe(400);
    const renamed = await f.mgmt(t, 'PUT', `/channels/${ch.id}`, { name: 'alarms' });
    expect(renamed.json()).toMatchObject({ id: ch.id, name: 'alarms', metadata: { qos: 1 } });
    const list = (await f.mgmt(t, 'GET', '/channels')).json() as {
      total: number;
      channels: { name: string }[];
    };
    expect(list.total).toBe(1);
    expect(list.channels[0]?.name).toBe('alarms');

    const eid = newExternalId();
    const id = await f.createConfig(t, { external_id: eid, external_key: 'k', channels: [ch.id] });
    await f.setState(t, id, 1);
    expect(((await f.fetchPlain(eid, 'k')).json() as { channels: unknown[] }).channels).toEqual([
      { id: ch.id, name: 'alarms', metadata: { qos: 1 } },
    ]);
    expect((await f.mgmt(t, 'DELETE', `/channels/${ch.id}`)).statusCode).toBe(204);
    expect((await f.mgmt(t, 'GET', `/channels/${ch.id}`)).statusCode).toBe(404);
    expect(((await f.fetchPlain(eid, 'k')).json() as { channels: unknown[] }).channels).toEqual([]);
    const types = (await listEvents(f.t.gh.store.db, t.id, { limit: 100 })).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'bootstrap.channel_created',
        'bootstrap.channel_updated',
        'bootstrap.channel_removed',
      ]),
    );
  });
});
