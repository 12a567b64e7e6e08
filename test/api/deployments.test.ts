import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareNextDeviceDeployment } from '../../src/deployments/deployments-repo-devices.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { makeRootfsArtifact, makeSingleFileArtifact, multipartUpload } from '../helpers/artifacts.js';
import { dialects } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { rowCounts } from '../helpers/rows.js';

const D = '/api/management/v1/deployments';
const DEV = '/api/devices/v1/deployments/device/deployments';

describe.each(dialects())('artifacts and deployments on %s', (dialect) => {
  let t: TestServer;
  let admin: string;
  let release2: Buffer;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
    admin = (await adminToken(t.gh)).token;
    release2 = readFileSync(
      makeSingleFileArtifact({ name: 'release-2', deviceTypes: ['qemux86-64'], compression: 'none' }),
    );
  });
  afterAll(() => t.close());

  const upload = async (artifact: Buffer, opts: { description?: string } = {}) => {
    const { body, contentType } = await multipartUpload(artifact, opts);
    return t.app.inject({
      method: 'POST',
      url: `${D}/artifacts`,
      headers: { ...bearer(admin), 'content-type': contentType },
      payload: body,
    });
  };
  const mgmt = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: bearer(admin), payload: payload as object });

  let seq = 0;
  const admit = async (deviceType = 'qemux86-64') => {
    seq += 1;
    const mac = `dep-${dialect}-${seq}`;
    const keys = makeDeviceKeys();
    const pre = await t.gh.devauth.admin.preauthorize(DEFAULT_TENANT_ID, {
      identityData: { mac },
      pubkey: keys.publicPem,
    });
    const token = (await t.app.inject(authRequest(keys, { mac }))).body;
    const device = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
      t.app.inject({ method, url, headers: bearer(token), payload: payload as object });
    const next = (artifactName = 'release-1') =>
      device('POST', `${DEV}/next`, { artifact_name: artifactName, device_type: deviceType });
    const status = (id: string, s: string) => device('PUT', `${DEV}/${id}/status`, { status: s });
    return { id: pre.deviceId, token, device, next, status };
  };
  const deploy = async (body: Record<string, unknown>) => {
    const res = await mgmt('POST', `${D}/deployments`, body);
    expect(res.statusCode, res.body).toBe(201);
    return (res.headers.location as string).split('/').pop() as string;
  };

  it('uploads an artifact, streams it through the parser, and lists it like Mender', async () => {
    const res = await upload(release2, { description: 'first' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers.location).toMatch(new RegExp(`^${D}/artifacts/[0-9a-f-]{36}$`));
    const list = await mgmt('GET', `${D}/artifacts`);
    const [a] = list.json() as Record<string, unknown>[];
    expect(a).toMatchObject({
      name: 'release-2',
      description: 'first',
      device_types_compatible: ['qemux86-64'],
      info: { format: 'mender', version: 3 },
      signed: false,
      size: release2.length,
      artifact_provides: { artifact_name: 'release-2' },
    });
    const update = ((a as Record<string, unknown>).updates as Record<string, unknown>[])[0];
    expect(update?.type_info).toEqual({ type: 'single-file' });
    expect(Array.isArray(update?.meta_data)).toBe(true);
    const paged = await mgmt('GET', `${D}/artifacts/list?per_page=1`);
    expect(paged.headers['x-total-count']).toBe('1');
    const id = (a as { id: string }).id;
    expect((await mgmt('PUT', `${D}/artifacts/${id}`, { description: 'edited' })).statusCode).toBe(204);
    expect((await mgmt('GET', `${D}/artifacts/${id}`)).json().description).toBe('edited');
  });

  it('refuses a duplicate (same name, overlapping device types) with 409, but not other device types', async () => {
    const dup = await upload(release2);
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({
      error: 'an artifact with the same name and depends already exists',
      metadata: { name: 'release-2' },
    });
    const other = readFileSync(makeSingleFileArtifact({ name: 'release-2', deviceTypes: ['raspberrypi4'] }));
    expect((await upload(other)).statusCode).toBe(201);
    const both = readFileSync(
      makeSingleFileArtifact({ name: 'release-2', deviceTypes: ['raspberrypi4', 'beaglebone'] }),
    );
    expect((await upload(both)).statusCode).toBe(409);
  });

  it('refuses corrupted and truncated artifacts with 400 and keeps nothing', async () => {
    const blobsDir = join(t.config.dataDir, 'blobs');
    const before = await rowCounts(t.gh);
    const blobCount = readdirSync(join(blobsDir, 'artifacts', DEFAULT_TENANT_ID)).length;
    const flipped = Buffer.from(release2);
    const at = flipped.indexOf(Buffer.from('hello from release-2'));
    expect(at).toBeGreaterThan(0);
    flipped[at] = (flipped[at] as number) ^ 0x01;
    const bad = await upload(flipped);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/invalid artifact/);
    const truncated = await upload(release2.subarray(0, Math.floor(release2.length / 2)));
    expect(truncated.statusCode).toBe(400);
    expect((await upload(Buffer.from('not an artifact at all'))).statusCode).toBe(400);
    expect(await rowCounts(t.gh)).toEqual(before);
    expect(readdirSync(join(blobsDir, 'artifacts', DEFAULT_TENANT_ID)).length).toBe(blobCount);
    // Only the process's own temp directory and its owner file (src/blobs/fs-blob-tmp.ts) remain.
    const temps = readdirSync(join(blobsDir, '.tmp'), { recursive: true, withFileTypes: true });
    expect(temps.filter((e) => e.isFile()).map((e) => e.name)).toEqual(['owner.json']);
  });

  it('runs a deployment end to end: next, signed download with Range, status reports, finish', async () => {
    const dev = await admit();
    const depId = await deploy({ name: 'rollout', artifact_name: 'release-2', devices: [dev.id] });
    expect((await mgmt('GET', `${D}/deployments/${depId}`)).json()).toMatchObject({
      status: 'pending',
      max_devices: 1,
    });

    const next = await dev.next();
    expect(next.statusCode).toBe(200);
    const instr = next.json() as {
      id: string;
      artifact: { artifact_name: string; source: { uri: string }; device_types_compatible: string[] };
    };
    expect(instr).toMatchObject({
      id: depId,
      artifact: { artifact_name: 'release-2', device_types_compatible: ['qemux86-64'] },
    });
    const url = new URL(instr.artifact.source.uri);
    const path = `${url.pathname}${url.search}`;
    const full = await t.app.inject({ method: 'GET', url: path });
    expect(full.statusCode).toBe(200);
    expect(full.headers['content-length']).toBe(String(release2.length));
    expect(full.headers['content-type']).toBe('application/vnd.mender-artifact');
    expect(full.headers['content-encoding']).toBeUndefined();
    expect(full.rawPayload.equals(release2)).toBe(true);
    const part = await t.app.inject({ method: 'GET', url: path, headers: { range: 'bytes=1000-' } });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 1000-${release2.length - 1}/${release2.length}`);
    expect(part.rawPayload.equals(release2.subarray(1000))).toBe(true);
    expect(
      (await t.app.inject({ method: 'GET', url: path, headers: { range: `bytes=${release2.length}-` } }))
        .statusCode,
    ).toBe(416);
    expect(
      (await t.app.inject({ method: 'GET', url: path.replace(/signature=[^&]+/, 'signature=AAAA') }))
        .statusCode,
    ).toBe(403);
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: path.replace(/device=[^&]+/, 'device=00000000-0000-4000-8000-00000000beef'),
        })
      ).statusCode,
    ).toBe(403);

    for (const s of ['downloading', 'downloading', 'installing'])
      expect((await dev.status(depId, s)).statusCode).toBe(204);
    expect((await mgmt('GET', `${D}/deployments/${depId}`)).json().status).toBe('inprogress');
    // Polling during the deployment gives the same instructions again.
    expect((await dev.next()).json().id).toBe(depId);
    expect((await dev.status(depId, 'success')).statusCode).toBe(204);
    const done = (await mgmt('GET', `${D}/deployments/${depId}`)).json();
    expect(done).toMatchObject({ status: 'finished', statistics: { status: { success: 1, pending: 0 } } });
    expect(done.finished).toEqual(expect.any(String));
    expect((await dev.next('release-2')).statusCode).toBe(204);
    expect((await dev.status(depId, 'failure')).statusCode).toBe(409);
    const devices = (await mgmt('GET', `${D}/deployments/${depId}/devices/list`)).json();
    expect(devices).toEqual([
      expect.objectContaining({ id: dev.id, status: 'success', device_type: 'qemux86-64' }),
    ]);
  });

  it("stores a failed device's log and serves it as text", async () => {
    const rootfs = readFileSync(makeRootfsArtifact({ name: 'rootfs-3', deviceTypes: ['qemux86-64'] }));
    expect((await upload(rootfs)).statusCode).toBe(201);
    const dev = await admit();
    const depId = await deploy({ name: 'rootfs', artifact_name: 'rootfs-3', devices: [dev.id] });
    expect((await dev.next()).statusCode).toBe(200);
    expect((await dev.status(depId, 'failure')).statusCode).toBe(204);
    const messages = [
      { level: 'info', message: 'Running Mender client', timestamp: '2026-11-23T15:29:40Z' },
      {
        level: 'error',
        message: "Artifact Payload type 'rootfs-image' is not supported",
        timestamp: '2026-11-23T15:29:41Z',
      },
    ];
    expect((await dev.device('PUT', `${DEV}/${depId}/log`, { messages: [] })).statusCode).toBe(400);
    expect((await dev.device('PUT', `${DEV}/${depId}/log`, { messages })).statusCode).toBe(204);
    const log = await mgmt('GET', `${D}/deployments/${depId}/devices/${dev.id}/log`);
    expect(log.statusCode).toBe(200);
    expect(log.body).toBe(
      "2026-11-23T15:29:40Z info: Running Mender client\n2026-11-23T15:29:41Z error: Artifact Payload type 'rootfs-image' is not supported\n",
    );
    expect((await mgmt('GET', `${D}/deployments/${depId}`)).json()).toMatchObject({
      status: 'finished',
      statistics: { status: { failure: 1 } },
    });
  });

  it('aborts: the device gets 409 on its next report and is not counted as success', async () => {
    const dev = await admit();
    const depId = await deploy({ name: 'to-abort', artifact_name: 'release-2', devices: [dev.id] });
    expect((await dev.next()).statusCode).toBe(200);
    expect((await dev.status(depId, 'downloading')).statusCode).toBe(204);
    expect((await mgmt('PUT', `${D}/deployments/${depId}/status`, { status: 'aborted' })).statusCode).toBe(
      204,
    );
    expect((await dev.status(depId, 'installing')).statusCode).toBe(409);
    expect((await dev.status(depId, 'success')).statusCode).toBe(409);
    const d = (await mgmt('GET', `${D}/deployments/${depId}`)).json();
    expect(d).toMatchObject({ status: 'finished', statistics: { status: { aborted: 1, success: 0 } } });
    expect((await mgmt('PUT', `${D}/deployments/${depId}/status`, { status: 'aborted' })).statusCode).toBe(
      422,
    );
    expect((await dev.next()).statusCode).toBe(204);
  });

  it('answers already-installed, noartifact and unknown device types without a download', async () => {
    const a = await admit();
    const depA = await deploy({ name: 'same', artifact_name: 'release-2', devices: [a.id] });
    expect((await a.next('release-2')).statusCode).toBe(204);
    expect((await mgmt('GET', `${D}/deployments/${depA}/statistics`)).json()['already-installed']).toBe(1);
    const b = await admit('unknown-board');
    const depB = await deploy({ name: 'none', artifact_name: 'release-2', devices: [b.id] });
    expect((await b.next()).statusCode).toBe(204);
    expect((await mgmt('GET', `${D}/deployments/${depB}/statistics`)).json().noartifact).toBe(1);
  });

  it('validates deployment requests', async () => {
    const dev = await admit();
    const bad = async (body: unknown, status: number) =>
      expect((await mgmt('POST', `${D}/deployments`, body)).statusCode).toBe(status);
    await bad({ name: 'x', artifact_name: 'release-2' }, 400);
    await bad({ name: 'x', artifact_name: 'release-2', devices: [dev.id], all_devices: true }, 400);
    await bad({ name: 'x', artifact_name: 'release-2', devices: ['not-a-uuid'] }, 400);
    await bad({ name: 'x', artifact_name: 'no-such-artifact', devices: [dev.id] }, 422);
    await deploy({ name: 'twice', artifact_name: 'release-2', devices: [dev.id] });
    await bad({ name: 'twice', artifact_name: 'release-2', devices: [dev.id] }, 409);
    expect((await dev.status('00000000-0000-4000-8000-000000000009', 'downloading')).statusCode).toBe(404);
    expect((await dev.device('POST', `${DEV}/next`, { device_type: 'x' })).statusCode).toBe(400);
    expect(
      (await dev.device('GET', `${DEV}/next?artifact_name=release-1&device_type=qemux86-64`)).statusCode,
    ).toBe(200);
  });

  it('deploys to all accepted devices, and finishes a deployment whose device is decommissioned', async () => {
    const dev = await admit();
    const depId = await deploy({ name: 'everyone', artifact_name: 'release-2', all_devices: true });
    const d = (await mgmt('GET', `${D}/deployments/${depId}`)).json();
    expect(d.max_devices).toBeGreaterThanOrEqual(1);
    const ids = (await mgmt('GET', `${D}/deployments/${depId}/device_list`)).json() as string[];
    expect(ids).toContain(dev.id);
    // Decommission every target: the deployment finishes by itself.
    for (const id of ids) await t.gh.devauth.admin.decommission(DEFAULT_TENANT_ID, id).catch(() => {});
    expect((await mgmt('GET', `${D}/deployments/${depId}`)).json()).toMatchObject({ status: 'finished' });
  });

  it('refuses to delete an artifact an unfinished deployment uses, then deletes it with its blob', async () => {
    const art = readFileSync(makeSingleFileArtifact({ name: 'to-delete', deviceTypes: ['qemux86-64'] }));
    const id = ((await upload(art)).headers.location as string).split('/').pop() as string;
    const dev = await admit();
    const depId = await deploy({ name: 'uses-it', artifact_name: 'to-delete', devices: [dev.id] });
    expect((await mgmt('DELETE', `${D}/artifacts/${id}`)).statusCode).toBe(409);
    expect((await mgmt('PUT', `${D}/deployments/${depId}/status`, { status: 'aborted' })).statusCode).toBe(
      204,
    );
    expect((await mgmt('DELETE', `${D}/artifacts/${id}`)).statusCode).toBe(204);
    expect((await mgmt('GET', `${D}/artifacts/${id}`)).statusCode).toBe(404);
    expect(await t.gh.blobs.size(`artifacts/${DEFAULT_TENANT_ID}/${id}`)).toBeUndefined();
  });

  it('never both creates a deployment and deletes its artifact when the two race', async () => {
    const dev = await admit();
    for (let round = 0; round < 12; round += 1) {
      const name = `racy-${round}`;
      const art = readFileSync(
        makeSingleFileArtifact({ name, deviceTypes: ['qemux86-64'], compression: 'none' }),
      );
      const id = ((await upload(art)).headers.location as string).split('/').pop() as string;
      const remove =
        round % 2 === 0
          ? mgmt('DELETE', `${D}/artifacts/${id}`)
          : mgmt('DELETE', `/api/management/v2/deployments/deployments/releases?name=${name}`);
      const [created, removed] = await Promise.all([
        mgmt('POST', `${D}/deployments`, { name: `d-${name}`, artifact_name: name, devices: [dev.id] }),
        remove,
      ]);
      const exists = (await mgmt('GET', `${D}/artifacts/${id}`)).statusCode === 200;
      if (created.statusCode === 201) {
        expect(removed.statusCode, 'a deployment was created: its artifact stays').toBe(409);
        expect(exists).toBe(true);
        const depId = (created.headers.location as string).split('/').pop() as string;
        expect(
          (await mgmt('PUT', `${D}/deployments/${depId}/status`, { status: 'aborted' })).statusCode,
        ).toBe(204);
      } else {
        expect(created.statusCode, created.body).toBe(422);
        expect(removed.statusCode).toBe(204);
        expect(exists).toBe(false);
      }
    }
  });

  it('serves v2 next (device_provides), and chooses the artifact whose depends the device provides', async () => {
    const needsR1 = readFileSync(
      makeSingleFileArtifact({
        name: 'release-9',
        deviceTypes: ['qemux86-64'],
        extraArgs: ['-N', 'release-1', '-d', 'board.rev:B'],
      }),
    );
    expect((await upload(needsR1)).statusCode).toBe(201);
    const dev = await admit();
    const depId = await deploy({ name: 'depends', artifact_name: 'release-9', devices: [dev.id] });
    const v2 = (provides: Record<string, string>) =>
      dev.device('POST', '/api/devices/v2/deployments/device/deployments/next', {
        device_provides: provides,
        update_control_map: true,
      });
    // Wrong board revision: the artifact's depends are not met, so nothing to install.
    const other = await admit();
    const depOther = await deploy({ name: 'depends-other', artifact_name: 'release-9', devices: [other.id] });
    const miss = await other.device('POST', '/api/devices/v2/deployments/device/deployments/next', {
      device_provides: { artifact_name: 'release-1', device_type: 'qemux86-64', 'board.rev': 'A' },
    });
    expect(miss.statusCode).toBe(204);
    expect((await mgmt('GET', `${D}/deployments/${depOther}/statistics`)).json().noartifact).toBe(1);
    const hit = await v2({ artifact_name: 'release-1', device_type: 'qemux86-64', 'board.rev': 'B' });
    expect(hit.statusCode).toBe(200);
    expect(hit.json()).toMatchObject({ id: depId, artifact: { artifact_name: 'release-9' } });
    expect(
      (await dev.device('POST', '/api/devices/v2/deployments/device/deployments/next', { nope: 1 }))
        .statusCode,
    ).toBe(400);
  });

  it('fails a device deployment whose device changed its provides mid-way (409), and keeps that', async () => {
    const dev = await admit();
    const depId = await deploy({ name: 'provides', artifact_name: 'release-2', devices: [dev.id] });
    expect((await dev.next('release-1')).statusCode).toBe(200);
    expect((await dev.next('release-0')).statusCode).toBe(409);
    expect((await mgmt('GET', `${D}/deployments/${depId}/statistics`)).json().failure).toBe(1);
    expect((await dev.next('release-0')).statusCode).toBe(204);
  });

  it('reports the artifact each device was given (image) and the bytes handed out (total_size)', async () => {
    const art = readFileSync(makeSingleFileArtifact({ name: 'report-1', deviceTypes: ['qemux86-64'] }));
    const artifactId = ((await upload(art, { description: 'for reports' })).headers.location as string)
      .split('/')
      .pop() as string;
    const size = (await mgmt('GET', `${D}/artifacts/${artifactId}`)).json().size as number;
    expect(size).toBeGreaterThan(0);
    const [a, b, c] = [await admit(), await admit(), await admit()];
    const ids = [a.id, b.id, c.id];
    const depId = await deploy({ name: 'report', artifact_name: 'report-1', devices: ids });
    const totalSize = async () =>
      (await mgmt('GET', `${D}/deployments/${depId}`)).json().statistics.total_size;
    expect(await totalSize()).toBe(0);
    expect((await mgmt('GET', `${D}/deployments/${depId}/devices/list`)).json()[0].image).toBeUndefined();

    expect((await a.next()).statusCode).toBe(200);
    expect((await b.next()).statusCode).toBe(200);
    // Polling again hands out the same artifact: not counted twice.
    expect((await b.next()).statusCode).toBe(200);
    // A device that has it already is given nothing to download: not counted (as in Mender).
    expect((await c.next('report-1')).statusCode).toBe(204);
    expect(await totalSize()).toBe(2 * size);
    const listed = (await mgmt('GET', `${D}/deployments?search=report`)).json() as {
      id: string;
      statistics: { total_size: number };
    }[];
    expect(listed.find((d) => d.id === depId)?.statistics.total_size).toBe(2 * size);

    const image = {
      id: artifactId,
      name: 'report-1',
      meta: { description: 'for reports' },
      meta_artifact: expect.objectContaining({
        name: 'report-1',
        device_types_compatible: ['qemux86-64'],
        info: { format: 'mender', version: 3 },
        updates: [expect.objectContaining({ type_info: expect.any(Object), files: expect.any(Array) })],
        artifact_provides: expect.objectContaining({ artifact_name: 'report-1' }),
      }),
      size,
      modified: expect.any(String),
    };
    const byDevice = (list: { id: string; image?: unknown }[]) => new Map(list.map((d) => [d.id, d.image]));
    for (const url of [`${D}/deployments/${depId}/devices/list`, `${D}/deployments/${depId}/devices`]) {
      const res = await mgmt('GET', url);
      expect(res.statusCode, res.body).toBe(200);
      const images = byDevice(res.json());
      for (const id of ids) expect(images.get(id), `${url} ${id}`).toEqual(image);
    }
    const history = (await mgmt('GET', `${D}/deployments/devices/${a.id}`)).json();
    expect(history[0].device.image).toEqual(image);

    // The report outlives the artifact: the total stays, and the image keeps its id and name.
    for (const d of [a, b]) expect((await d.status(depId, 'success')).statusCode).toBe(204);
    expect((await mgmt('DELETE', `${D}/artifacts/${artifactId}`)).statusCode).toBe(204);
    expect(await totalSize()).toBe(2 * size);
    const after = byDevice((await mgmt('GET', `${D}/deployments/${depId}/devices/list`)).json());
    expect(after.get(a.id)).toEqual({ id: artifactId, name: 'report-1' });
  });

  it('lists deployments in v2: repeatable ids and names, inclusive creation bounds, sort, tenants apart', async () => {
    const V2 = '/api/management/v2/deployments/deployments';
    const v1 = await mgmt('GET', `${D}/deployments?per_page=500`);
    const all = v1.json() as { id: string; name: string; created: string }[];
    expect(all.length).toBeGreaterThan(1);
    const listV2 = async (query: string) => {
      const res = await mgmt('GET', `${V2}${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return { ids: (res.json() as { id: string }[]).map((d) => d.id), total: res.headers['x-total-count'] };
    };
    expect(await listV2('?per_page=500')).toEqual({ ids: all.map((d) => d.id), total: String(all.length) });
    expect((await listV2('?per_page=500&sort=asc')).ids).toEqual(all.map((d) => d.id).reverse());
    const [a, b] = all as [(typeof all)[0], (typeof all)[0]];
    expect((await listV2(`?id=${a.id}&id=${b.id}`)).ids).toEqual([a.id, b.id]);
    const named = all.filter((d) => d.name === a.name || d.name === b.name).map((d) => d.id);
    expect((await listV2(`?name=${a.name}&name=${b.name}&per_page=500`)).ids).toEqual(named);
    const second = Math.floor(Date.parse(a.created) / 1000);
    expect((await listV2(`?id=${a.id}&created_before=${second}&created_after=${second}`)).ids).toEqual([
      a.id,
    ]);
    expect((await listV2(`?id=${a.id}&created_before=${second - 1}`)).ids).toEqual([]);
    expect((await listV2(`?id=${a.id}&created_after=${second + 1}`)).ids).toEqual([]);
    expect((await listV2('?per_page=1&page=2')).ids).toEqual([b.id]);
    expect((await mgmt('GET', `${V2}?per_page=501`)).statusCode).toBe(400);
    expect((await mgmt('GET', `${V2}?status=bogus`)).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'GET', url: V2 })).statusCode).toBe(401);
    const { tenant } = await t.gh.tenants.service.create({ name: `v2-deployments-${dialect}` });
    const other = (await adminToken(t.gh, { tenantId: tenant.id })).token;
    const theirs = await t.app.inject({ method: 'GET', url: `${V2}?id=${a.id}`, headers: bearer(other) });
    expect(theirs.json()).toEqual([]);
    expect(theirs.headers['x-total-count']).toBe('0');
  });
  it('answers the polls of one event-loop turn each from its own device, in one statement on PostgreSQL', async () => {
    const r7 = readFileSync(makeSingleFileArtifact({ name: 'release-7', deviceTypes: ['qemux86-64'] }));
    expect((await upload(r7)).statusCode).toBe(201);
    const [d1, d2, d3, d4] = await Promise.all([admit(), admit(), admit(), admit()]);
    if (!d1 || !d2 || !d3 || !d4) throw new Error('devices not admitted');
    const older = await deploy({ name: 'turn-older', artifact_name: 'release-7', devices: [d1.id, d2.id] });
    const newer = await deploy({ name: 'turn-newer', artifact_name: 'release-7', devices: [d2.id, d3.id] });
    const idOf = (r: { statusCode: number; json(): unknown }) =>
      r.statusCode === 200 ? (r.json() as { id: string }).id : r.statusCode;

    const polls = await Promise.all([d1, d2, d3, d4].map((d) => d.next()));
    expect(polls.map(idOf)).toEqual([older, older, newer, 204]);
    // Once the older one is done, the same device's next poll is answered by the newer one.
    expect((await d2.status(older, 'success')).statusCode).toBe(204);
    const again = await Promise.all([d2, d1].map((d) => d.next()));
    expect(again.map(idOf)).toEqual([newer, older]);

    // The repository read itself: three devices asked in one turn, one statement on PostgreSQL.
    const store = t.gh.store;
    const readRows = store.readRows.bind(store);
    let statements = 0;
    const counting = {
      ...store,
      readRows: (...a: Parameters<typeof readRows>) => {
        statements += 1;
        return readRows(...a);
      },
    };
    const next = prepareNextDeviceDeployment(counting);
    const rows = await Promise.all([d3, d4, d1].map((d) => next(DEFAULT_TENANT_ID, d.id)));
    expect(rows.map((r) => r?.deploymentId ?? null)).toEqual([newer, null, older]);
    expect(statements).toBe(dialect === 'postgres' ? 1 : 3);
    // Another tenant's id for the same device finds nothing.
    expect(await next('no-such-tenant', d1.id)).toBeUndefined();
  });
});
