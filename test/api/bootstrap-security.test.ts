import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/app.js';
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

describe.each(dialects())('bootstrap refusals, throttling and secrets on %s', (dialect) => {
  const clock = manualClock();
  const lines: string[] = [];
  let f: BootstrapFixture;
  let tenant: BsTenant;

  beforeAll(async () => {
    f = await startBootstrap(dialect, {
      clock,
      logger: loggerOptions('trace', { write: (l) => lines.push(l) }),
    });
    tenant = await f.newTenant('security');
  });
  afterAll(() => f.close());

  it('answers an unknown external id, a wrong key and a held config alike', async () => {
    const enabled = newExternalId();
    const held = newExternalId();
    await f.setState(
      tenant,
      await f.createConfig(tenant, { external_id: enabled, external_key: 'right' }),
      1,
    );
    // Held and connected (state 1): the hold alone keeps it from delivering.
    await f.setState(
      tenant,
      await f.createConfig(tenant, { external_id: held, external_key: 'right', held: true }),
      1,
    );
    const unknown = await f.fetchPlain(newExternalId(), 'right', '10.1.0.1');
    const wrongKey = await f.fetchPlain(enabled, 'wrong', '10.1.0.2');
    const off = await f.fetchPlain(held, 'right', '10.1.0.3');
    const ok = await f.fetchPlain(enabled, 'right', '10.1.0.4');
    expect(ok.statusCode).toBe(200);
    expect(refusalOf(unknown)).toEqual({
      status: 403,
      body: {
        error: 'bootstrap refused: unknown external id, wrong key or held config',
        message: 'bootstrap refused: unknown external id, wrong key or held config',
      },
      type: 'application/json; charset=utf-8',
    });
    expect(refusalOf(wrongKey)).toEqual(refusalOf(unknown));
    expect(refusalOf(off)).toEqual(refusalOf(unknown));
    const headerNames = (r: typeof unknown) => Object.keys(r.headers).sort();
    expect(headerNames(wrongKey)).toEqual(headerNames(unknown));
    expect(headerNames(off)).toEqual(headerNames(unknown));
    expect(wrongKey.headers['content-length']).toBe(unknown.headers['content-length']);

    // Each refusal is an event; an unknown external id belongs to no tenant, so to the default one.
    const reasons = (await listEvents(f.t.gh.store.db, tenant.id, { limit: 1000 }))
      .filter((e) => e.type === 'bootstrap.failed')
      .map((e) => e.payload.reason);
    expect(reasons).toEqual(expect.arrayContaining(['wrong external key', 'config held']));
  });

  it('locks an external id at the address it fails from, not the device at another; success clears it', async () => {
    const eid = newExternalId();
    await f.setState(tenant, await f.createConfig(tenant, { external_id: eid, external_key: 'right' }), 1);
    for (let i = 1; i <= 9; i++)
      expect((await f.fetchPlain(eid, `guess-${i}`, '10.2.0.1')).statusCode).toBe(403);
    const tenth = await f.fetchPlain(eid, 'guess-10', '10.2.0.1');
    expect(tenth.statusCode).toBe(429);
    expect(tenth.headers['retry-after']).toBe('300');
    expect(tenth.json()).toMatchObject({ error: expect.stringMatching(/too many failed/) });
    // While locked, even the right key is refused there, without being checked...
    const locked = await f.fetchPlain(eid, 'right', '10.2.0.1');
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(300);
    // ...but the device at its own address is not locked out by a stranger's failures.
    expect((await f.fetchPlain(eid, 'right', '10.2.0.2')).statusCode).toBe(200);
    clock.advance(301_000);
    expect((await f.fetchPlain(eid, 'right', '10.2.0.1')).statusCode).toBe(200);
    // The success cleared that pair: nine more failures are refusals again, not 429.
    for (let i = 1; i <= 9; i++)
      expect((await f.fetchPlain(eid, `again-${i}`, '10.2.0.1')).statusCode).toBe(403);
    expect((await f.fetchPlain(eid, 'right', '10.2.0.1')).statusCode).toBe(200);
  });

  it('gives every address one guess while an external id is guessed from many, and lets the device in', async () => {
    const eid = newExternalId();
    await f.setState(tenant, await f.createConfig(tenant, { external_id: eid, external_key: 'right' }), 1);
    // GATEHOUSE_BOOTSTRAP_MAX_FAILURES_PER_EXTERNAL_ID (50) failures from 50 addresses, one each.
    for (let i = 1; i <= 49; i++)
      expect((await f.fetchPlain(eid, `guess-${i}`, `10.4.0.${i}`)).statusCode).toBe(403);
    // The 50th puts the external id under attack: from now on one failure locks its address.
    expect((await f.fetchPlain(eid, 'guess-50', '10.4.0.50')).statusCode).toBe(429);
    const fresh = await f.fetchPlain(eid, 'guess-51', '10.4.1.1');
    expect(fresh.statusCode).toBe(429);
    expect((await f.fetchPlain(eid, 'right', '10.4.1.1')).statusCode).toBe(429);
    // Other external ids at the same addresses are not affected, and neither is the device.
    expect((await f.fetchPlain(newExternalId(), 'x', '10.4.1.1')).statusCode).toBe(403);
    expect((await f.fetchPlain(eid, 'right', '10.4.9.9')).statusCode).toBe(200);
  });

  it('throttles a source address after 100 failures on any external ids', async () => {
    const eid = newExternalId();
    await f.setState(tenant, await f.createConfig(tenant, { external_id: eid, external_key: 'right' }), 1);
    for (let i = 1; i <= 99; i++)
      expect((await f.fetchPlain(newExternalId(), 'x', '10.3.0.1')).statusCode).toBe(403);
    expect((await f.fetchPlain(newExternalId(), 'x', '10.3.0.1')).statusCode).toBe(429);
    expect((await f.fetchPlain(eid, 'right', '10.3.0.1')).statusCode).toBe(429);
    expect((await f.fetchPlain(eid, 'right', '10.3.0.2')).statusCode).toBe(200);
    clock.advance(301_000);
    expect((await f.fetchPlain(eid, 'right', '10.3.0.1')).statusCode).toBe(200);
  });

  it('keeps secrets out of list and read responses, logs, events and the database', async () => {
    const tag = randomBytes(8).toString('hex');
    const externalKey = `EXTKEY-${tag}`;
    const clientSecret = `CLIENTSECRET-${tag}`;
    const clientKey = `-----BEGIN PRIVATE KEY-----\nPRIVKEY${tag}\n-----END PRIVATE KEY-----\n`;
    const secrets = [externalKey, clientSecret, `PRIVKEY${tag}`];
    const eid = newExternalId();
    const id = await f.createConfig(tenant, {
      external_id: eid,
      external_key: externalKey,
      client_secret: clientSecret,
      client_key: clientKey,
      client_cert: `CERT-${tag}`,
    });
    await f.setState(tenant, id, 1);
    const delivered = await f.fetchPlain(eid, externalKey);
    expect(delivered.json()).toMatchObject({ client_secret: clientSecret, client_key: clientKey });
    await f.fetchPlain(eid, `${externalKey}-wrong`);
    await f.mgmt(tenant, 'PATCH', `/clients/configs/certs/${id}`, {
      client_cert: `CERT-${tag}`,
      client_key: clientKey,
    });

    const reads = [
      await f.mgmt(tenant, 'GET', `/clients/configs/${id}`),
      await f.mgmt(tenant, 'GET', '/clients/configs'),
      await f.mgmt(tenant, 'GET', `/clients/configs?external_id=${encodeURIComponent(eid)}`),
      await f.mgmt(tenant, 'PATCH', `/clients/configs/certs/${id}`, {
        client_cert: `CERT-${tag}`,
        client_key: clientKey,
      }),
      await f.mgmt(tenant, 'PUT', `/clients/configs/${id}/device`, { device_id: null }),
    ];
    for (const r of reads) {
      expect(r.statusCode, r.body).toBe(200);
      expect(r.body).toContain(id);
      for (const s of secrets) expect(r.body).not.toContain(s);
    }
    const view = reads[0]?.json() as Record<string, unknown>;
    expect(view).not.toHaveProperty('external_key');
    expect(view).not.toHaveProperty('client_secret');
    expect(view).not.toHaveProperty('client_key');
    expect(view.client_cert).toBe(`CERT-${tag}`);

    const logs = lines.join('');
    expect(logs).toContain(`/bootstrap/clients/bootstrap/${encodeURIComponent(eid)}`);
    for (const s of secrets) expect(logs).not.toContain(s);

    await f.t.gh.bootstrap.flushEvents();
    const events = JSON.stringify(await listEvents(f.t.gh.store.db, tenant.id, { limit: 10_000 }));
    expect(events).toContain(eid);
    for (const s of secrets) expect(events).not.toContain(s);

    let dump: string;
    if (dialect === 'sqlite') {
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(f.t.gh.store.db);
      const file = f.t.gh.store.description.slice('sqlite:'.length);
      dump = [file, `${file}-wal`]
        .filter((p) => existsSync(p))
        .map((p) => readFileSync(p).toString('latin1'))
        .join('');
      expect(dump).toContain(eid);
      expect(dump).toContain(`CERT-${tag}`);
    } else {
      dump = execFileSync('pg_dump', ['--no-owner', '--data-only', f.t.db.url], {
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      });
      expect(dump).toContain(eid);
    }
    for (const s of secrets) expect(dump).not.toContain(s);
  });
});
