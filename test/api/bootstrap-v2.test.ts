import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceV2Exchange } from '../../src/bootstrap/index.js';
import { listEvents } from '../../src/events/index.js';
import { manualClock } from '../helpers/clock.js';
import { dialects } from '../helpers/databases.js';
import {
  type BootstrapFixture,
  type BsTenant,
  newExternalId,
  refusalOf,
  startBootstrap,
} from './bootstrap-setup.js';

type Challenge = { challenge_id: string; server_nonce: string; expires_at: string };
type Sealed = { version: string; challenge_id: string; nonce: string; ciphertext: string };

describe.each(dialects())('bootstrap v2 on %s', (dialect) => {
  const clock = manualClock(Date.parse('2026-11-26T10:00:00.000Z'));
  let f: BootstrapFixture;
  let tenant: BsTenant;
  let seq = 0;
  const addr = () => `10.20.${(++seq >> 8) & 255}.${seq & 255}`;

  beforeAll(async () => {
    f = await startBootstrap(dialect, { clock });
    tenant = await f.newTenant('v2');
  });
  afterAll(() => f.close());

  const post = (tenantId: string, path: string, payload: object, address = addr()) =>
    f.t.app.inject({
      method: 'POST',
      url: `/bootstrap/v2/${tenantId}/${path}`,
      payload,
      remoteAddress: address,
    });
  const challenge = async (eid: string, tenantId = tenant.id) => {
    const res = await post(tenantId, 'challenges', { external_id: eid });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Challenge;
  };
  const answer = (eid: string, key: string, c: Challenge, tenantId = tenant.id) =>
    deviceV2Exchange({
      tenantId,
      externalId: eid,
      externalKey: key,
      challengeId: c.challenge_id,
      serverNonce: Buffer.from(c.server_nonce, 'base64url'),
    });
  const enabledConfig = async (key = `v2-key-${randomBytes(8).toString('hex')}`) => {
    const eid = newExternalId();
    const channel = await f.createChannel(tenant, `v2-${eid}`);
    const id = await f.createConfig(tenant, {
      external_id: eid,
      external_key: key,
      channels: [channel],
      content: 'v2 content',
      client_key: 'V2-PRIVATE-KEY',
    });
    await f.setState(tenant, id, 1);
    return { eid, key, id, channel };
  };

  it('delivers the config encrypted for this device and this exchange', async () => {
    const { eid, key, id, channel } = await enabledConfig();
    const c = await challenge(eid);
    expect(c.challenge_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Buffer.from(c.server_nonce, 'base64url')).toHaveLength(32);
    expect(c.expires_at).toBe('2026-11-26T10:01:00.000Z');
    const ex = answer(eid, key, c);
    const res = await post(tenant.id, 'configs', ex.body);
    expect(res.statusCode, res.body).toBe(200);
    const sealed = res.json() as Sealed;
    expect(sealed).toMatchObject({ version: 'v2', challenge_id: c.challenge_id });
    expect(res.body).not.toContain('V2-PRIVATE-KEY');
    expect(JSON.parse(ex.open(sealed.nonce, sealed.ciphertext).toString())).toEqual({
      client_id: id,
      client_secret: expect.any(String),
      channels: [{ id: channel, name: `v2-${eid}` }],
      content: 'v2 content',
      client_key: 'V2-PRIVATE-KEY',
    });
    await f.t.gh.bootstrap.flushEvents();
    const events = await listEvents(f.t.gh.store.db, tenant.id, { limit: 10_000 });
    expect(events.filter((e) => e.type === 'bootstrap.fetched' && e.payload.client_id === id)).toEqual([
      expect.objectContaining({ payload: expect.objectContaining({ mode: 'v2', external_id: eid }) }),
    ]);
  });

  it('refuses a replayed proof and a reused challenge', async () => {
    const { eid, key } = await enabledConfig();
    const c = await challenge(eid);
    const first = answer(eid, key, c);
    expect((await post(tenant.id, 'configs', first.body)).statusCode).toBe(200);
    const replay = await post(tenant.id, 'configs', first.body);
    expect(refusalOf(replay).status).toBe(403);
    const reuse = await post(tenant.id, 'configs', answer(eid, key, c).body);
    expect(refusalOf(reuse)).toEqual(refusalOf(replay));
  });

  it('accepts a proof once even when it arrives twice at the same time', async () => {
    const { eid, key } = await enabledConfig();
    const ex = answer(eid, key, await challenge(eid));
    const results = await Promise.all([1, 2, 3].map(() => post(tenant.id, 'configs', ex.body)));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 403, 403]);
  });

  it('refuses an expired challenge', async () => {
    const { eid, key } = await enabledConfig();
    const late = await challenge(eid);
    const inTime = await challenge(eid);
    clock.advance(59_000);
    expect((await post(tenant.id, 'configs', answer(eid, key, inTime).body)).statusCode).toBe(200);
    clock.advance(1_000);
    expect(refusalOf(await post(tenant.id, 'configs', answer(eid, key, late).body)).status).toBe(403);
  });

  it('a tampered or misdirected response does not open', async () => {
    const { eid, key } = await enabledConfig();
    const a = answer(eid, key, await challenge(eid));
    const b = answer(eid, key, await challenge(eid));
    const sa = (await post(tenant.id, 'configs', a.body)).json() as Sealed;
    const sb = (await post(tenant.id, 'configs', b.body)).json() as Sealed;
    expect(() => a.open(sa.nonce, sa.ciphertext)).not.toThrow();
    const ct = Buffer.from(sa.ciphertext, 'base64url');
    ct[5] = (ct[5] as number) ^ 0x20;
    expect(() => a.open(sa.nonce, ct.toString('base64url'))).toThrow();
    expect(() => a.open(sb.nonce, sb.ciphertext)).toThrow();
    expect(() => b.open(sa.nonce, sa.ciphertext)).toThrow();
  });

  it('gives unknown ids and held configs well-formed challenges, and refuses them like a wrong proof', async () => {
    const { eid, key } = await enabledConfig();
    const disabledEid = newExternalId();
    await f.createConfig(tenant, { external_id: disabledEid, external_key: 'disabled-key', held: true });
    const unknownEid = newExternalId();
    const shape = (c: Challenge) => ({
      keys: Object.keys(c).sort(),
      id: c.challenge_id.length,
      nonce: c.server_nonce.length,
      expires: c.expires_at.length,
    });
    const cs = [await challenge(eid), await challenge(disabledEid), await challenge(unknownEid)];
    expect(shape(cs[1] as Challenge)).toEqual(shape(cs[0] as Challenge));
    expect(shape(cs[2] as Challenge)).toEqual(shape(cs[0] as Challenge));
    const wrongProof = await post(tenant.id, 'configs', answer(eid, 'not the key', cs[0] as Challenge).body);
    const disabled = await post(
      tenant.id,
      'configs',
      answer(disabledEid, 'disabled-key', cs[1] as Challenge).body,
    );
    const unknown = await post(tenant.id, 'configs', answer(unknownEid, key, cs[2] as Challenge).body);
    const otherTenant = await f.newTenant('v2-other');
    const c4 = await challenge(eid);
    const wrongTenant = await post(otherTenant.id, 'configs', answer(eid, key, c4, otherTenant.id).body);
    const c5 = await challenge(eid);
    const otherIdsChallenge = await post(tenant.id, 'configs', {
      ...answer(unknownEid, key, c5).body,
      external_id: unknownEid,
    });
    for (const r of [disabled, unknown, wrongTenant, otherIdsChallenge])
      expect(refusalOf(r)).toEqual(refusalOf(wrongProof));
    expect(refusalOf(wrongProof)).toMatchObject({
      status: 403,
      body: { error: expect.stringMatching(/^bootstrap refused/) },
    });
    // Once refused, the challenge is gone even for the right proof.
    expect((await post(tenant.id, 'configs', answer(eid, key, cs[0] as Challenge).body)).statusCode).toBe(
      403,
    );
  });

  it('validates encodings (400) and throttles repeated wrong proofs (429)', async () => {
    const { eid, key } = await enabledConfig();
    const c = await challenge(eid);
    const good = answer(eid, key, c).body;
    for (const bad of [
      { ...good, proof: `${good.proof}=` },
      { ...good, device_nonce: `${good.device_nonce.slice(0, 42)}B` }, // not canonical base64url
      { ...good, proof: 'x' },
    ]) {
      expect((await post(tenant.id, 'configs', bad)).statusCode).toBe(400);
    }
    expect((await post('not-a-tenant', 'challenges', { external_id: eid })).statusCode).toBe(400);
    const address = '10.21.0.1';
    for (let i = 1; i <= 9; i++) {
      const ci = await challenge(eid);
      expect((await post(tenant.id, 'configs', answer(eid, `wrong-${i}`, ci).body, address)).statusCode).toBe(
        403,
      );
    }
    const c10 = await challenge(eid);
    const tenth = await post(tenant.id, 'configs', answer(eid, 'wrong-10', c10).body, address);
    expect(tenth.statusCode).toBe(429);
    expect(tenth.headers['retry-after']).toBe('300');
    // The external id is locked at that address, so are its challenges there.
    expect((await post(tenant.id, 'challenges', { external_id: eid }, address)).statusCode).toBe(429);
    // The device, at another address, is not locked out by those failures.
    expect((await post(tenant.id, 'configs', answer(eid, key, await challenge(eid)).body)).statusCode).toBe(
      200,
    );
    clock.advance(300_000);
    const c11 = (await post(tenant.id, 'challenges', { external_id: eid }, address)).json() as Challenge;
    expect((await post(tenant.id, 'configs', answer(eid, key, c11).body, address)).statusCode).toBe(200);
  });

  it('bounds the challenges one address may ask for (each is a row until it expires)', async () => {
    const { eid, key } = await enabledConfig();
    const address = '10.22.0.1';
    const count = async () =>
      Number(
        (
          await f.t.gh.store.db
            .selectFrom('bootstrap_challenges')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    clock.advance(120_000); // earlier challenges expire and are purged
    await post(tenant.id, 'challenges', { external_id: newExternalId() }, '10.22.9.9');
    const before = await count();
    const answers: number[] = [];
    for (let i = 0; i < 80; i++) {
      answers.push(
        (await post(tenant.id, 'challenges', { external_id: newExternalId() }, address)).statusCode,
      );
    }
    // The default budget: 60 per minute in one burst, then 429 with Retry-After.
    expect(answers.filter((s) => s === 200)).toHaveLength(60);
    expect(answers.slice(60).every((s) => s === 429)).toBe(true);
    const refused = await post(tenant.id, 'challenges', { external_id: eid }, address);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.json()).toMatchObject({ error: expect.any(String), request_id: expect.any(String) });
    expect(await count()).toBe(before + 60);
    // The device at its own address is not held up by that flood.
    expect((await post(tenant.id, 'configs', answer(eid, key, await challenge(eid)).body)).statusCode).toBe(
      200,
    );
    // The budget refills over the minute.
    clock.advance(60_000);
    expect((await post(tenant.id, 'challenges', { external_id: eid }, address)).statusCode).toBe(200);
  });
});
