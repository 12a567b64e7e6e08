import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { makeRootfsArtifact, makeSingleFileArtifact, multipartUpload } from '../helpers/artifacts.js';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

// Deployments v2 releases as Mender's web UI reads them (issue 11): the Releases page, the
// release picker of a new deployment, tags, notes, the tenant's tags and update types.

const V1 = '/api/management/v1/deployments';
const V2 = '/api/management/v2/deployments';

interface ReleaseJson {
  name: string;
  modified: string;
  artifacts: { id: string; name: string; updates: { type_info: { type: string | null } }[] }[];
  artifacts_count: number;
  tags: string[];
  notes: string;
}

describe.each(dialects())('releases (deployments v2) on %s', (dialect) => {
  let t: TestServer;
  let admin: string;
  let other: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
    admin = (await adminToken(t.gh)).token;
    const { tenant } = await t.gh.tenants.service.create({ name: 'releases-other' });
    other = (await adminToken(t.gh, { tenantId: tenant.id })).token;
    const files = {
      'app-1.0 qemu': makeSingleFileArtifact({ name: 'app-1.0', deviceTypes: ['qemux86-64'] }),
      'app-1.0 rpi': makeSingleFileArtifact({ name: 'app-1.0', deviceTypes: ['raspberrypi4'] }),
      'App-2.0': makeSingleFileArtifact({ name: 'App-2.0', deviceTypes: ['qemux86-64'] }),
      'rootfs-1': makeRootfsArtifact({ name: 'rootfs-1', deviceTypes: ['qemux86-64'] }),
    };
    for (const [key, path] of Object.entries(files)) {
      const res = await upload(admin, readFileSync(path));
      expect(res.statusCode, res.body).toBe(201);
      ids[key] = (res.headers.location as string).split('/').pop() as string;
    }
    const theirs = makeSingleFileArtifact({ name: 'theirs-1', deviceTypes: ['qemux86-64'] });
    expect((await upload(other, readFileSync(theirs))).statusCode).toBe(201);
  });
  afterAll(() => t.close());

  async function upload(token: string, artifact: Buffer) {
    const { body, contentType } = await multipartUpload(artifact);
    return t.app.inject({
      method: 'POST',
      url: `${V1}/artifacts`,
      headers: { ...bearer(token), 'content-type': contentType },
      payload: body,
    });
  }
  const call = (method: 'GET' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, token = admin) =>
    t.app.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const list = async (query = '') => {
    const res = await call('GET', `${V2}/deployments/releases${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return {
      releases: res.json() as ReleaseJson[],
      total: res.headers['x-total-count'],
      link: String(res.headers.link),
    };
  };
  const names = async (query = '') => (await list(query)).releases.map((r) => r.name);

  it('lists releases by name with their artifacts, counts, tags and notes, paged', async () => {
    const { releases, total } = await list();
    expect(total).toBe('3');
    expect(releases.map((r) => r.name)).toEqual(['App-2.0', 'app-1.0', 'rootfs-1']);
    const app1 = releases.find((r) => r.name === 'app-1.0') as ReleaseJson;
    expect(app1.artifacts_count).toBe(2);
    expect(app1.artifacts.map((a) => a.id).sort()).toEqual([ids['app-1.0 qemu'], ids['app-1.0 rpi']].sort());
    expect(app1).toMatchObject({ tags: [], notes: '', modified: expect.stringMatching(/Z$/) });

    const page2 = await list('?page=2&per_page=2');
    expect(page2.releases.map((r) => r.name)).toEqual(['rootfs-1']);
    expect(page2.total).toBe('3');
    expect(page2.link).toContain('rel="prev"');
    expect(await names('?sort=name:desc')).toEqual(['rootfs-1', 'app-1.0', 'App-2.0']);
    expect((await names('?sort=artifacts_count:desc'))[0]).toBe('app-1.0');
    expect(await names('?sort=modified:desc')).toEqual(['rootfs-1', 'App-2.0', 'app-1.0']);
  });

  it('filters by a part of the name (any case), by update type, and by tags (any of them)', async () => {
    expect(await names('?name=APP')).toEqual(['App-2.0', 'app-1.0']);
    expect(await names('?name=1.0')).toEqual(['app-1.0']);
    expect(await names('?update_type=rootfs-image')).toEqual(['rootfs-1']);
    expect(await names('?update_type=single-file')).toEqual(['App-2.0', 'app-1.0']);
    expect(await names('?update_type=nothing')).toEqual([]);

    expect(
      (await call('PUT', `${V2}/deployments/releases/app-1.0/tags`, ['stable', 'beta'])).statusCode,
    ).toBe(204);
    expect((await call('PUT', `${V2}/deployments/releases/rootfs-1/tags`, ['edge'])).statusCode).toBe(204);
    expect(await names('?tag=beta')).toEqual(['app-1.0']);
    expect(await names('?tag=beta&tag=edge')).toEqual(['app-1.0', 'rootfs-1']);
    expect(await names('?tag=none')).toEqual([]);
    expect(await names('?sort=tags:asc')).toEqual(['App-2.0', 'app-1.0', 'rootfs-1']);
    const app1 = (await list('?name=app-1')).releases[0];
    expect(app1?.tags).toEqual(['beta', 'stable']);

    const allTags = await call('GET', `${V2}/releases/all/tags`);
    expect(allTags.json()).toEqual(['beta', 'edge', 'stable']);
    const types = await call('GET', `${V2}/releases/all/types`);
    expect(types.json()).toEqual(['rootfs-image', 'single-file']);
    // Tags replace; an empty list removes them.
    expect((await call('PUT', `${V2}/deployments/releases/rootfs-1/tags`, [])).statusCode).toBe(204);
    expect((await call('GET', `${V2}/releases/all/tags`)).json()).toEqual(['beta', 'stable']);
  });

  it('gets one release, sets its notes, and refuses bad tags, unknown releases and too many tags', async () => {
    expect(
      (await call('PATCH', `${V2}/deployments/releases/App-2.0`, { notes: 'security fixes' })).statusCode,
    ).toBe(204);
    const one = await call('GET', `${V2}/deployments/releases/App-2.0`);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ name: 'App-2.0', notes: 'security fixes', artifacts_count: 1 });

    expect((await call('GET', `${V2}/deployments/releases/nope`)).statusCode).toBe(404);
    expect((await call('PUT', `${V2}/deployments/releases/nope/tags`, ['a'])).statusCode).toBe(404);
    expect((await call('PATCH', `${V2}/deployments/releases/nope`, { notes: 'x' })).statusCode).toBe(404);
    for (const bad of [['has space'], ['ü'], Array.from({ length: 21 }, (_, i) => `t${i}`), [''], { a: 1 }]) {
      const res = await call('PUT', `${V2}/deployments/releases/App-2.0/tags`, bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json()).toHaveProperty('error');
    }
    expect(
      (await call('PATCH', `${V2}/deployments/releases/App-2.0`, { notes: 'n'.repeat(1025) })).statusCode,
    ).toBe(400);
    expect((await call('GET', `${V2}/deployments/releases?sort=size:asc`)).statusCode).toBe(400);
    expect((await call('GET', `${V2}/deployments/releases?per_page=501`)).statusCode).toBe(400);

    // 100 different tags in the tenant at most; a refused replacement changes nothing.
    const db = t.gh.store.db;
    await db
      .insertInto('release_tags')
      .values(
        Array.from({ length: 90 }, (_, i) => ({
          tenant_id: DEFAULT_TENANT_ID,
          release_name: 'rootfs-1',
          tag: `seeded-${i}`,
        })),
      )
      .execute();
    try {
      const used = ((await call('GET', `${V2}/releases/all/tags`)).json() as string[]).length;
      const fits = Array.from({ length: 100 - used }, (_, i) => `fits-${i}`);
      expect((await call('PUT', `${V2}/deployments/releases/App-2.0/tags`, fits)).statusCode).toBe(204);
      const tooMany = await call('PUT', `${V2}/deployments/releases/App-2.0/tags`, [
        ...fits.slice(1),
        'x1',
        'x2',
      ]);
      expect(tooMany.statusCode).toBe(409);
      expect(tooMany.json()).toMatchObject({ error: expect.stringMatching(/unique tags/) });
      expect((await call('GET', `${V2}/deployments/releases/App-2.0`)).json()).toMatchObject({
        tags: [...fits].sort(),
      });
    } finally {
      await db.deleteFrom('release_tags').where('tag', 'like', 'seeded-%').execute();
      await call('PUT', `${V2}/deployments/releases/App-2.0/tags`, []);
    }
  });

  it('keeps tenants apart and drops a release with its last artifact', async () => {
    expect((await call('GET', `${V2}/deployments/releases`, undefined, other)).json()).toMatchObject([
      { name: 'theirs-1', tags: [] },
    ]);
    expect((await call('GET', `${V2}/deployments/releases/App-2.0`, undefined, other)).statusCode).toBe(404);
    expect((await call('PUT', `${V2}/deployments/releases/App-2.0/tags`, ['x'], other)).statusCode).toBe(404);

    expect((await call('PUT', `${V2}/deployments/releases/App-2.0/tags`, ['gone-soon'])).statusCode).toBe(
      204,
    );
    expect((await call('DELETE', `${V1}/artifacts/${ids['App-2.0']}`)).statusCode).toBe(204);
    expect((await call('GET', `${V2}/deployments/releases/App-2.0`)).statusCode).toBe(404);
    expect((await call('GET', `${V2}/releases/all/tags`)).json()).not.toContain('gone-soon');
    // The same name uploaded again starts without the old tags and notes.
    const again = makeSingleFileArtifact({ name: 'App-2.0', deviceTypes: ['qemux86-64'] });
    expect((await upload(admin, readFileSync(again))).statusCode).toBe(201);
    expect((await call('GET', `${V2}/deployments/releases/App-2.0`)).json()).toMatchObject({
      tags: [],
      notes: '',
    });
  });

  it('counts v1 releases in X-Total-Count and needs a token everywhere', async () => {
    const v1 = await call('GET', `${V1}/deployments/releases`);
    expect(v1.statusCode).toBe(200);
    expect(v1.headers['x-total-count']).toBe(String((v1.json() as unknown[]).length));
    for (const url of [
      `${V2}/deployments/releases`,
      `${V2}/deployments/releases/app-1.0`,
      `${V2}/releases/all/tags`,
      `${V2}/releases/all/types`,
    ])
      expect((await t.app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
  });

  it('deletes whole releases: all their artifacts, blobs, tags and notes, and nothing of other tenants', async () => {
    const uploaded: string[] = [];
    for (const [name, type] of [
      ['gone-1', 'qemux86-64'],
      ['gone-1', 'raspberrypi4'],
      ['gone-2', 'qemux86-64'],
    ] as const) {
      const res = await upload(admin, readFileSync(makeSingleFileArtifact({ name, deviceTypes: [type] })));
      expect(res.statusCode, res.body).toBe(201);
      uploaded.push((res.headers.location as string).split('/').pop() as string);
    }
    expect((await call('PUT', `${V2}/deployments/releases/gone-1/tags`, ['going'])).statusCode).toBe(204);
    expect((await call('PATCH', `${V2}/deployments/releases/gone-2`, { notes: 'bye' })).statusCode).toBe(204);
    const del = (query: string, token = admin) =>
      t.app.inject({ method: 'DELETE', url: `${V2}/deployments/releases${query}`, headers: bearer(token) });

    // Another tenant's release of the caller's name list is not touched (names are per tenant).
    expect((await del('?name=theirs-1')).statusCode).toBe(204);
    expect((await call('GET', `${V2}/deployments/releases/theirs-1`, undefined, other)).statusCode).toBe(200);

    // An unfinished deployment of one of them keeps all of them (Mender's 409 body).
    const { db } = t.gh.store;
    const deploymentId = '0e3c6a56-1b7c-4a59-9d5e-3f0f3b1b2c01';
    await db
      .insertInto('deployments')
      .values({
        id: deploymentId,
        tenant_id: DEFAULT_TENANT_ID,
        name: 'busy',
        artifact_name: 'gone-2',
        status: 'inprogress',
        force_installation: 0,
        max_devices: 1,
        groups: '[]',
        constructor_sha256: 'releases-v2-busy',
        created_at: Date.now(),
        finished_at: null,
      })
      .execute();
    const busy = await del('?name=gone-1&name=gone-2');
    expect(busy.statusCode, busy.body).toBe(409);
    expect(busy.json()).toEqual({
      error: 'release(s) used in active deployment',
      active_deployments: [deploymentId],
      request_id: busy.headers['x-men-requestid'],
    });
    expect((await list('?name=gone')).releases.map((r) => r.artifacts_count)).toEqual([2, 1]);
    await db.updateTable('deployments').set({ status: 'finished' }).where('id', '=', deploymentId).execute();

    // Read-only users may not; at least one name is needed.
    const reader = (await adminToken(t.gh, { role: 'readonly' })).token;
    expect((await del('?name=gone-1', reader)).statusCode).toBe(403);
    expect((await del('')).statusCode).toBe(400);

    // Names of no release are no error; the others go, whole.
    const gone = await del('?name=gone-1&name=gone-2&name=never-was');
    expect(gone.statusCode, gone.body).toBe(204);
    expect((await list('?name=gone')).releases).toEqual([]);
    for (const id of uploaded) {
      expect((await call('GET', `${V1}/artifacts/${id}`)).statusCode).toBe(404);
      expect(await t.gh.blobs.size(`artifacts/${DEFAULT_TENANT_ID}/${id}`)).toBeUndefined();
    }
    expect((await call('GET', `${V2}/releases/all/tags`)).json()).not.toContain('going');
    expect(
      await db.selectFrom('release_notes').select('notes').where('release_name', '=', 'gone-2').execute(),
    ).toEqual([]);
    const events = await db
      .selectFrom('events')
      .select('payload')
      .where('type', '=', 'artifact.deleted')
      .where('tenant_id', '=', DEFAULT_TENANT_ID)
      .execute();
    const deleted = events.map((e) => (JSON.parse(e.payload) as { artifact_id: string }).artifact_id);
    for (const id of uploaded) expect(deleted).toContain(id);
    expect(
      (await t.app.inject({ method: 'DELETE', url: `${V2}/deployments/releases?name=x` })).statusCode,
    ).toBe(401);
  });

  it("answers v1 releases in Mender's v1 shape from the same releases as v2, none left out", async () => {
    const v1 = await call('GET', `${V1}/deployments/releases`);
    expect(v1.statusCode, v1.body).toBe(200);
    const v2 = await list('?per_page=500&sort=name:asc');
    const body = v1.json() as {
      Name: string;
      name: string;
      Artifacts: { id: string }[];
      ArtifactsCount: number;
      tags: string[];
      notes: string;
      modified: string;
    }[];
    expect(v1.headers['x-total-count']).toBe(v2.total);
    expect(body.map((r) => r.Name)).toEqual(v2.releases.map((r) => r.name));
    for (const [i, r] of body.entries()) {
      const same = v2.releases[i] as ReleaseJson;
      expect(r).toEqual({
        Name: same.name,
        name: same.name,
        Artifacts: same.artifacts,
        ArtifactsCount: same.artifacts_count,
        tags: same.tags,
        notes: same.notes,
        modified: same.modified,
      });
    }
    // The same name filter as v2: any part of the name, any case.
    expect(
      ((await call('GET', `${V1}/deployments/releases?name=APP`)).json() as { Name: string }[]).map(
        (r) => r.Name,
      ),
    ).toEqual(await names('?name=APP&sort=name:asc'));
  });

  it('pages v1 releases/list like v2 and lists v2 artifacts by names and prefixes, tenants apart', async () => {
    const v1 = await call('GET', `${V1}/deployments/releases/list?per_page=1&page=2&sort=name:desc`);
    expect(v1.statusCode, v1.body).toBe(200);
    const v2 = await list('?per_page=1&page=2&sort=name:desc');
    expect((v1.json() as { Name: string }[]).map((r) => r.Name)).toEqual(v2.releases.map((r) => r.name));
    expect(v1.headers['x-total-count']).toBe(v2.total);
    expect(String(v1.headers.link)).toContain('rel="prev"');
    expect((await call('GET', `${V1}/deployments/releases/list?per_page=501`)).statusCode).toBe(400);
    // device_type and description keep the releases with such an artifact.
    const first = (await list('?per_page=1&sort=name:asc')).releases[0] as unknown as {
      artifacts: { id: string }[];
    };
    const described = await call('PUT', `${V1}/artifacts/${first.artifacts[0]?.id}`, {
      description: 'Field build 42',
    });
    expect(described.statusCode, described.body).toBe(204);
    const every = (await list('?per_page=500')).releases as unknown as {
      name: string;
      artifacts: { description: string; device_types_compatible: string[] }[];
    }[];
    const v1Names = async (query: string) =>
      (
        (await call('GET', `${V1}/deployments/releases/list?per_page=500&${query}`)).json() as {
          Name: string;
        }[]
      ).map((r) => r.Name);
    const rpi = every.filter((r) =>
      r.artifacts.some((a) => a.device_types_compatible.includes('raspberrypi4')),
    );
    expect(rpi.length).toBeGreaterThan(0);
    expect(rpi.length).toBeLessThan(every.length);
    expect(await v1Names('device_type=raspberrypi4')).toEqual(rpi.map((r) => r.name));
    const part = 'BUILD 4';
    const withPart = every.filter((r) => r.artifacts.some((a) => a.description.toUpperCase().includes(part)));
    expect(withPart.length).toBeGreaterThan(0);
    expect(await v1Names(`description=${encodeURIComponent(part)}`)).toEqual(withPart.map((r) => r.name));
    expect(await v1Names('description=no-artifact-says-this')).toEqual([]);
    const theirs = await call('GET', `${V1}/deployments/releases/list`, undefined, other);
    expect((theirs.json() as { Name: string }[]).map((r) => r.Name)).toEqual(['theirs-1']);

    const artifacts = async (query: string, token = other) => {
      const res = await call('GET', `${V2}/artifacts${query}`, undefined, token);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as { name: string }[]).map((a) => a.name);
    };
    expect(await artifacts('')).toEqual(['theirs-1']);
    expect(await artifacts('?name=theirs-1&name=app-1.0')).toEqual(['theirs-1']);
    expect(await artifacts('?name=theirs*')).toEqual(['theirs-1']);
    expect(await artifacts('?name=app*')).toEqual([]);
    expect(await artifacts('?name=Theirs*')).toEqual([]);
    expect(await artifacts('?device_type=qemu*')).toEqual(['theirs-1']);
    expect(await artifacts('?device_type=raspberrypi4')).toEqual([]);
    const mine = await call('GET', `${V2}/artifacts?per_page=500`);
    const v1List = await call('GET', `${V1}/artifacts/list?per_page=500`);
    expect(mine.headers['x-total-count']).toBe(v1List.headers['x-total-count']);
    expect(await artifacts('?name=theirs-1', admin)).toEqual([]);
    expect((await call('GET', `${V2}/artifacts?name=a*&name=b`)).statusCode).toBe(400);
    expect((await call('GET', `${V2}/artifacts?per_page=501`)).statusCode).toBe(400);
    for (const url of [`${V1}/deployments/releases/list`, `${V2}/artifacts`])
      expect((await t.app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
  });
});
