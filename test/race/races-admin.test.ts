import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { makeSingleFileArtifact, multipartUpload } from '../helpers/artifacts.js';
import { dialects } from '../helpers/databases.js';
import { makeDeviceKeys } from '../helpers/device-client.js';
import {
  CLUSTER_TIMEOUT_MS,
  type Cluster,
  CONCURRENCY,
  count,
  expectInvariants,
  RACE_TIMEOUT_MS,
  type Req,
  ROUNDS,
  race,
  send,
  startCluster,
  tally,
} from './race-harness.js';
import { makeCa } from './race-pki.js';

/**
 * Management resources under concurrency (issue 8, docs/adr/0013-database-invariants.md): for
 * every unique name or reference, CONCURRENCY creates at once, alternating between two
 * `gatehouse serve` processes on one database, ROUNDS times. Exactly one wins; the others get the
 * documented conflict answer (never a 5xx); the database holds one row and one event.
 */
vi.setConfig({ testTimeout: RACE_TIMEOUT_MS });

const ENROLLMENT = '/api/management/v1/enrollment';
const PKI = '/api/management/v1/pki';
const BOOTSTRAP = `/bootstrap/${DEFAULT_TENANT_ID}`;
const DEPLOYMENTS = '/api/management/v1/deployments';

const USER_ROUNDS = 2;

const tag = () => randomBytes(4).toString('hex');
const post = (path: string, body: unknown): Req => ({ method: 'POST', path, body });

describe.each(dialects())('management races on %s (two serve processes)', (dialect) => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster(dialect);
  }, CLUSTER_TIMEOUT_MS);
  afterAll(() => c?.close(), 60_000);

  const rows = (table: string, column: string, value: string) =>
    count(c.sql, sql`select count(*) as n from ${sql.table(table)} where ${sql.ref(column)} = ${value}`);
  const events = (type: string, like: string) =>
    count(c.sql, sql`select count(*) as n from events where type = ${type} and payload like ${`%${like}%`}`);

  /** One round: CONCURRENCY requests, one winner with `won`, the others `lost`; then the invariants. */
  const oneWins = async (make: (i: number) => Req, won: number, lost: number) => {
    const res = await race(c, make);
    expect(tally(res)).toEqual(won === lost ? { [won]: CONCURRENCY } : { [won]: 1, [lost]: CONCURRENCY - 1 });
    await expectInvariants(c);
    return res;
  };

  const newCa = async (): Promise<{ id: string; pem: string }> => {
    const ca = await makeCa(`race-${tag()}`);
    const res = await send(c, 0, post(`${PKI}/cas`, { certificate: ca.pem }));
    expect(res.status, res.text).toBe(201);
    return { id: (JSON.parse(res.text) as { id: string }).id, pem: ca.pem };
  };

  const newDevice = async (): Promise<string> => {
    const res = await send(
      c,
      0,
      post('/api/management/v2/devauth/devices', {
        identity_data: { mac: `race-${tag()}` },
        pubkey: makeDeviceKeys('ed25519').publicPem,
      }),
    );
    expect(res.status, res.text).toBe(201);
    const { rows: found } = await sql<{
      id: string;
    }>`select id from devices order by created_at desc, id`.execute(c.sql);
    return found[0]?.id as string;
  };

  it('individual enrollments: one per registration id', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const reg = `reg-${tag()}`;
      await oneWins(
        (i) => post(`${ENROLLMENT}/individuals`, { registration_id: reg, enabled: i % 2 === 0 }),
        201,
        409,
      );
      expect(await rows('enrollment_individuals', 'registration_id', reg)).toBe(1);
      expect(await events('enrollment.individual_created', reg)).toBe(1);
    }
  });

  it('enrollment groups: one per CA, and one per name', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const ca = await newCa();
      const t = tag();
      await oneWins((i) => post(`${ENROLLMENT}/groups`, { name: `g-${t}-${i}`, ca_id: ca.id }), 201, 409);
      expect(await rows('enrollment_groups', 'ca_id', ca.id)).toBe(1);
      const cas = await Promise.all(Array.from({ length: 3 }, newCa));
      await oneWins(
        (i) => post(`${ENROLLMENT}/groups`, { name: `same-${t}`, ca_id: cas[i % 3]?.id }),
        201,
        409,
      );
      expect(await rows('enrollment_groups', 'name', `same-${t}`)).toBe(1);
    }
  });

  it('CA registration: one per certificate', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const cn = `race-${tag()}`;
      const ca = await makeCa(cn);
      await oneWins(() => post(`${PKI}/cas`, { certificate: ca.pem }), 201, 409);
      expect(await count(c.sql, sql`select count(*) as n from pki_cas where subject like ${`%${cn}%`}`)).toBe(
        1,
      );
      expect(await events('pki.ca_registered', cn)).toBe(1);
    }
  });

  it('bootstrap configs: one per external id, per client id and per device', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const ext = `02:ra:ce:${tag()}`;
      await oneWins(
        (i) => post(`${BOOTSTRAP}/clients/configs`, { external_id: ext, external_key: `k${i}` }),
        201,
        409,
      );
      expect(await rows('bootstrap_configs', 'external_id', ext)).toBe(1);
      expect(await events('bootstrap.config_created', ext)).toBe(1);

      const clientId = randomUUID();
      await oneWins(
        (i) =>
          post(`${BOOTSTRAP}/clients/configs`, {
            external_id: `${ext}-c${i}`,
            external_key: 'k',
            client_id: clientId,
          }),
        201,
        409,
      );
      expect(await rows('bootstrap_configs', 'id', clientId)).toBe(1);

      const deviceId = await newDevice();
      await oneWins(
        (i) =>
          post(`${BOOTSTRAP}/clients/configs`, {
            external_id: `${ext}-d${i}`,
            external_key: 'k',
            device_id: deviceId,
          }),
        201,
        409,
      );
      expect(await rows('bootstrap_configs', 'device_id', deviceId)).toBe(1);
    }
  });

  it('bootstrap channels: one per name', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const name = `channel-${tag()}`;
      await oneWins((i) => post(`${BOOTSTRAP}/channels`, { name, metadata: { i } }), 201, 409);
      expect(await rows('bootstrap_channels', 'name', name)).toBe(1);
    }
  });

  it('users: one per email (422, as Mender answers a duplicate email)', async () => {
    // Every create hashes its password first (scrypt, ~0.1 s of CPU each): two rounds, not five,
    // keep this race's cost near the others'.
    for (let round = 0; round < USER_ROUNDS; round++) {
      const email = `race-${tag()}@example.com`;
      await oneWins(
        () => post('/api/management/v1/useradm/users', { email, password: 'correct horse battery staple' }),
        201,
        422,
      );
      expect(await rows('users', 'email', email)).toBe(1);
    }
  });

  it('personal access tokens: one per name', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const name = `pat-${tag()}`;
      await oneWins(() => post('/api/management/v1/useradm/settings/tokens', { name }), 200, 409);
      expect(await rows('user_tokens', 'name', name)).toBe(1);
      // The cap of 10 per user: remove this round's token again.
      await sql`delete from user_tokens where name = ${name}`.execute(c.sql);
    }
  });

  it('webhooks: never more than the per-tenant cap of 50', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      // 45 exist (disabled: nothing is ever sent); 50 creates at once may add 5.
      await sql`delete from webhook_subscriptions`.execute(c.sql);
      for (let i = 0; i < 45; i++) {
        await c.sql
          .insertInto('webhook_subscriptions')
          .values({
            id: randomUUID(),
            tenant_id: DEFAULT_TENANT_ID,
            url: `https://hooks.example.com/seed${i}`,
            description: '',
            event_types: '[]',
            enabled: 0,
            secret_sealed: 'unused',
            created_at: i,
            updated_at: i,
          })
          .execute();
      }
      const res = await race(c, (i) =>
        post('/api/management/v1/webhooks', {
          url: `https://hooks.example.com/${i}`,
          event_types: ['device.accepted'],
          enabled: false,
        }),
      );
      expect(tally(res)).toEqual({ 201: 5, 409: CONCURRENCY - 5 });
      expect(await count(c.sql, sql`select count(*) as n from webhook_subscriptions`)).toBe(50);
    }
  });

  describe('deployments and artifacts', () => {
    let artifact: Buffer;
    beforeAll(() => {
      artifact = readFileSync(
        makeSingleFileArtifact({ name: `race-${tag()}`, deviceTypes: ['qemux86-64'], compression: 'none' }),
      );
    });

    it('artifact upload: one per name and device types', async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const name = `race-${tag()}`;
        const file = readFileSync(
          makeSingleFileArtifact({ name, deviceTypes: ['qemux86-64'], compression: 'none' }),
        );
        const { body, contentType } = await multipartUpload(file);
        await oneWins(
          () => ({
            method: 'POST',
            path: `${DEPLOYMENTS}/artifacts`,
            raw: body,
            headers: { 'content-type': contentType },
          }),
          201,
          409,
        );
        expect(await rows('artifacts', 'name', name)).toBe(1);
      }
    });

    it('deployments: one unfinished deployment per identical request', async () => {
      const { body, contentType } = await multipartUpload(artifact);
      const up = await send(c, 0, {
        method: 'POST',
        path: `${DEPLOYMENTS}/artifacts`,
        raw: body,
        headers: { 'content-type': contentType },
      });
      expect([201, 409]).toContain(up.status);
      const { rows: named } = await sql<{ name: string }>`select name from artifacts`.execute(c.sql);
      const artifactName = named[0]?.name as string;
      const devices = [await newDevice(), await newDevice()];
      for (let round = 0; round < ROUNDS; round++) {
        const name = `rollout-${tag()}`;
        await oneWins(
          () => post(`${DEPLOYMENTS}/deployments`, { name, artifact_name: artifactName, devices }),
          201,
          409,
        );
        expect(await rows('deployments', 'name', name)).toBe(1);
      }
    });
  });
});
