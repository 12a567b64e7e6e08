import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signManifest } from '../../src/factory/index.js';
import { dialects } from '../helpers/databases.js';
import { adminToken, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { devicePublicKey, factoryKeyPair, jsonlLine } from './manifests.js';

// A manifest upload over a real socket, as the console and curl send it. app.inject() hands the
// route a different body stream; on the wire the request's body is a live IncomingMessage,
// which the per-request hooks must pass through untouched (the NUL guard once walked its object
// graph without end and took the whole process down).

const IMPORTS = '/api/management/v2/devauth/imports';
const FACTORIES = '/api/management/v2/devauth/factories';

describe.each(dialects())('manifest upload on the wire on %s', (dialect) => {
  let t: TestServer;
  let url: string;
  let token: string;
  const factory = factoryKeyPair();

  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
    token = (await adminToken(t.gh)).token;
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    // As `serve` does.
    t.gh.factory.worker.start();
    url = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await t?.gh.factory.worker.stop();
    await t?.close();
  });

  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
      signal: AbortSignal.timeout(15_000),
    });

  it('dry-runs and imports a signed manifest sent as the raw body, refuses a NUL inside it, and pages the problem rows by line', async () => {
    const registered = await call(FACTORIES, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'wire', public_key: factory.publicPem }),
    });
    expect(registered.status).toBe(201);
    const body = [
      jsonlLine({ identity: { sn: 'W1' }, pubkey: devicePublicKey() }),
      jsonlLine({ identity: { sn: 'W2\u0000' }, pubkey: devicePublicKey() }),
    ].join('');
    const sha = createHash('sha256').update(body).digest('hex');
    const headers = {
      'content-type': 'application/jsonl',
      'x-gatehouse-manifest-signature': signManifest(factory.privateKey, sha),
    };

    const dry = await call(`${IMPORTS}?dry_run=true`, { method: 'POST', headers, body });
    expect(dry.status).toBe(200);
    expect(await dry.json()).toMatchObject({
      counts: { rows: 2, created: 1, invalid: 1 },
      problems: [{ line: 2, outcome: 'invalid', reason: expect.stringMatching(/NUL/) }],
    });

    const started = await call(IMPORTS, { method: 'POST', headers, body });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    let job = { status: 'queued' } as { status: string; counts?: unknown };
    for (let i = 0; i < 150 && (job.status === 'queued' || job.status === 'running'); i++) {
      await sleep(100);
      job = (await (await call(`${IMPORTS}/${id}`)).json()) as typeof job;
    }
    expect(job).toMatchObject({ status: 'succeeded', counts: { created: 1, invalid: 1 } });

    // The problem rows, paged by line as the console pages them.
    const page = async (q: string) => {
      const r = await call(`${IMPORTS}/${id}/problems?${q}`);
      expect(r.status, q).toBe(200);
      return ((await r.json()) as { line: number }[]).map((p) => p.line);
    };
    expect(await page('after_line=0&per_page=1')).toEqual([2]);
    expect(await page('after_line=2&per_page=1000')).toEqual([]);
    expect(await page('outcome=invalid')).toEqual([2]);
    expect((await call(`${IMPORTS}/${id}/problems?per_page=1001`)).status).toBe(400);
    expect((await call(`${IMPORTS}/${id}/problems?after_line=-1`)).status).toBe(400);
  });
});
