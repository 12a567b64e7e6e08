import { createDecipheriv, randomUUID } from 'node:crypto';
import * as magistrala from '@absmach/magistrala-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { adminTokenViaCli, type GatehouseProcess, spawnGatehouse } from './helpers/gatehouse-process.js';

/**
 * Magistrala's own TypeScript SDK (@absmach/magistrala-sdk 0.17.18, its "clients" era bootstrap
 * paths, the ones Gatehouse serves) as the client of a real `gatehouse serve`: config CRUD,
 * whitelist (state), connections, certs, plain bootstrap and the request side of secure bootstrap.
 * The SDK resolves its paths relative to `bootstrapUrl` with `new URL(path, base)`, so the base
 * needs its trailing slash: `http://host/bootstrap/` (without it the SDK drops `/bootstrap`).
 */
// A CommonJS package with an ES `default` export: unwrap it whichever way the loader hands it over.
type SdkClass = typeof magistrala.default.default;
type SDK = InstanceType<SdkClass>;
const loaded = magistrala.default as unknown as SdkClass | { default: SdkClass };
const SDK: SdkClass = 'default' in loaded ? loaded.default : loaded;

const ENCRYPT_KEY = 'v7aT0HGxJxt2gULzr3RHwf4WIf6DusPp'; // 32 bytes: the SDK only speaks AES-256-CFB

/** The SDK's errors are plain objects `{status, error}`, not Error instances. */
const sdkError = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as { status?: number; error?: unknown };
  }
  throw new Error('expected the SDK call to fail');
};

describe.each(dialects())("Magistrala's TypeScript SDK against gatehouse serve on %s", (dialect) => {
  let db: TestDatabase;
  let gh: GatehouseProcess;
  let token: string;
  let sdk: SDK;
  const domain = DEFAULT_TENANT_ID;
  const channels: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    gh = await spawnGatehouse(db, ['--bootstrap-encrypt-key', ENCRYPT_KEY]);
    token = await adminTokenViaCli(db, gh.url);
    sdk = new SDK({ bootstrapUrl: `${gh.url}/bootstrap/` });
    // Channels are Gatehouse's own resource (the SDK's channels client talks to a channels service).
    for (const name of ['telemetry', 'control']) {
      const res = await fetch(`${gh.url}/bootstrap/${domain}/channels`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      expect(res.status).toBe(201);
      channels.push(((await res.json()) as { id: string }).id);
    }
  }, 120_000);
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  it("follows Magistrala's workflow: add, bootstrap at once, whitelist, update, certs, connections, list, remove", async () => {
    const clientId = randomUUID();
    const config = {
      external_id: `sdk-${dialect}-1`,
      external_key: 'sdk external key',
      client_id: clientId,
      channels: [channels[0] as string],
      name: `sdk gateway ${dialect}`,
      content: '{"broker":"mqtts://broker.example:8883"}',
    };
    expect(await sdk.Bootstrap.AddBootstrap(config, domain, token)).toEqual({
      status: 201,
      message: 'Bootstrap configuration created',
    });

    // Upload, then bootstrap: delivered before any state change, as in Magistrala.
    const delivered = await sdk.Bootstrap.Bootstrap(config.external_id, config.external_key);
    expect(delivered).toMatchObject({
      client_id: clientId,
      client_secret: expect.stringMatching(/^[0-9a-f-]{36}$/),
      channels: [{ id: channels[0], name: 'telemetry' }],
      content: config.content,
    });

    const viewed = await sdk.Bootstrap.ViewBootstrap(clientId, domain, token);
    expect(viewed).toMatchObject({
      client_id: clientId,
      external_id: config.external_id,
      state: 0,
      held: false,
    });
    expect(viewed).not.toHaveProperty('external_key');

    // Whitelist = Magistrala's state: connects the client to its channels.
    expect(await sdk.Bootstrap.Whitelist({ client_id: clientId, state: 1 }, domain, token)).toMatchObject({
      status: 200,
    });
    const connected = (await sdk.Bootstrap.ViewBootstrap(clientId, domain, token)) as unknown as {
      state: number;
      channels: { connected: boolean }[];
    };
    expect(connected.state).toBe(1);
    expect(connected.channels.every((c) => c.connected)).toBe(true);

    // The SDK sends the whole config to routes that read two fields of it.
    expect(
      await sdk.Bootstrap.UpdateBootstrap(
        { ...config, name: 'renamed', content: 'new content' },
        domain,
        token,
      ),
    ).toMatchObject({ status: 200 });
    const certs = await sdk.Bootstrap.UpdateBootstrapCerts(
      { client_id: clientId, client_cert: 'CERT', client_key: 'KEY', ca_cert: 'CA' },
      domain,
      token,
    );
    expect(certs).toEqual({ client_id: clientId, client_cert: 'CERT', ca_cert: 'CA' });
    expect(await sdk.Bootstrap.UpdateBootstrapConnection(clientId, domain, channels, token)).toMatchObject({
      status: 200,
    });
    expect(await sdk.Bootstrap.Bootstrap(config.external_id, config.external_key)).toMatchObject({
      client_id: clientId,
      channels: expect.arrayContaining([expect.objectContaining({ id: channels[1] })]),
      content: 'new content',
      client_cert: 'CERT',
      client_key: 'KEY',
      ca_cert: 'CA',
    });

    // A second config without a client id: the SDK does not read Location, so find it by listing.
    await sdk.Bootstrap.AddBootstrap({ external_id: `sdk-${dialect}-2`, external_key: 'k2' }, domain, token);
    const page = await sdk.Bootstrap.Bootstraps({ offset: 0, limit: 10 }, domain, token);
    expect(page).toMatchObject({ total: 2, offset: 0, limit: 10 });
    expect(page.configs.map((c: { external_id?: string }) => c.external_id).sort()).toEqual([
      `sdk-${dialect}-1`,
      `sdk-${dialect}-2`,
    ]);

    // Disconnecting (state 0) does not stop delivery; a wrong key is refused with the SDK's error shape.
    await sdk.Bootstrap.Whitelist({ client_id: clientId, state: 0 }, domain, token);
    expect(await sdk.Bootstrap.Bootstrap(config.external_id, config.external_key)).toMatchObject({
      client_id: clientId,
    });
    expect(await sdkError(sdk.Bootstrap.Bootstrap(config.external_id, 'wrong'))).toEqual({
      status: 403,
      error: 'bootstrap refused: unknown external id, wrong key or held config',
    });

    // Request validation errors carry `message` too, the field the SDK reports.
    expect(await sdkError(sdk.Bootstrap.Whitelist({ client_id: clientId, state: 2 }, domain, token))).toEqual(
      {
        status: 400,
        error: expect.stringMatching(/state/),
      },
    );

    for (const c of page.configs)
      expect(await sdk.Bootstrap.DeleteBootstrap(c.client_id as string, domain, token)).toMatchObject({
        status: 204,
      });
    expect(await sdkError(sdk.Bootstrap.ViewBootstrap(clientId, domain, token))).toMatchObject({
      status: 404,
    });
  });

  it('sends secure bootstrap requests Gatehouse accepts; the test decrypts the answer the SDK drops', async () => {
    const clientId = randomUUID();
    const config = { external_id: `sdk-secure-${dialect}`, external_key: 'secure key', client_id: clientId };
    await sdk.Bootstrap.AddBootstrap({ ...config, content: 'secret content' }, domain, token);

    // The SDK's SecureBootstrap never reads the response body (it "decrypts" its own request's
    // undefined body and throws a TypeError), so the response is taken from fetch on the way.
    const answers: Response[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
      const res = await realFetch(...args);
      answers.push(res.clone());
      return res;
    };
    let thrown: unknown;
    try {
      await sdk.Bootstrap.SecureBootstrap(config.external_id, config.external_key, ENCRYPT_KEY);
    } catch (e) {
      thrown = e;
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    const res = answers[0] as Response;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const body = Buffer.from(await res.arrayBuffer());
    const decipher = createDecipheriv('aes-256-cfb', Buffer.from(ENCRYPT_KEY), body.subarray(0, 16));
    const json = Buffer.concat([decipher.update(body.subarray(16)), decipher.final()]).toString('utf8');
    expect(JSON.parse(json)).toMatchObject({ client_id: clientId, content: 'secret content', channels: [] });

    // Held, the same request is refused like an unknown external id (the SDK's error object).
    const hold = await fetch(`${gh.url}/bootstrap/${domain}/clients/configs/${clientId}/hold`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ held: true }),
    });
    expect(hold.status).toBe(200);
    const refused = await sdkError(
      sdk.Bootstrap.SecureBootstrap(config.external_id, config.external_key, ENCRYPT_KEY),
    );
    const unknown = await sdkError(
      sdk.Bootstrap.SecureBootstrap('sdk-nobody', config.external_key, ENCRYPT_KEY),
    );
    expect(refused).toEqual({ status: 403, error: expect.stringMatching(/^bootstrap refused/) });
    expect(unknown).toEqual(refused);
  });
});
