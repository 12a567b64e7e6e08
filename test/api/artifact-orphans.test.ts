import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORPHAN_GRACE_MS } from '../../src/deployments/artifact-orphans.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { makeSingleFileArtifact, multipartUpload } from '../helpers/artifacts.js';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

// A process killed between an artifact's blob and its row (upload: blob first; delete: row
// first) leaves a blob no row names; `serve` removes those at start, once they are old enough
// that no upload can still be committing them.
describe.each(dialects())('blobs no artifact names on %s', (dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
  });
  afterAll(() => t.close());

  it('are removed when older than the grace period; artifacts and young blobs stay', async () => {
    const { token } = await adminToken(t.gh);
    const artifact = readFileSync(
      makeSingleFileArtifact({ name: 'orphans', deviceTypes: ['qemux86-64'], compression: 'none' }),
    );
    const { body, contentType } = await multipartUpload(artifact);
    const up = await t.app.inject({
      method: 'POST',
      url: '/api/management/v1/deployments/artifacts',
      headers: { ...bearer(token), 'content-type': contentType },
      payload: body,
    });
    expect(up.statusCode, up.body).toBe(201);
    const kept = await t.gh.deployments.artifacts.get(
      DEFAULT_TENANT_ID,
      String(up.headers.location).split('/').pop() as string,
    );
    const dir = join(t.config.dataDir, 'blobs', 'artifacts', DEFAULT_TENANT_ID);
    const old = new Date(Date.now() - ORPHAN_GRACE_MS - 60_000);
    // The real artifact's blob is old too: its row keeps it.
    utimesSync(join(t.config.dataDir, 'blobs', kept.blobKey), old, old);
    const orphan = join(dir, randomUUID());
    const young = join(dir, randomUUID());
    mkdirSync(dir, { recursive: true });
    writeFileSync(orphan, Buffer.alloc(4096));
    utimesSync(orphan, old, old);
    writeFileSync(young, 'committing right now');

    expect(await t.gh.deployments.artifacts.removeOrphanBlobs()).toEqual({ blobs: 1, bytes: 4096 });
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(young)).toBe(true);
    expect(await t.gh.blobs.size(kept.blobKey)).toBe(artifact.length);
  });
});
