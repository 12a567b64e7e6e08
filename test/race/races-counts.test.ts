import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { dialects } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
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
  startCluster,
  tally,
} from './race-harness.js';

/**
 * max_devices reads device_counts (migration 0012), which triggers keep in the writing
 * transaction: concurrent accepts through two `serve` processes stop exactly at the limit, and
 * the counts stay equal to count(*) with decommissions and new devices racing alongside
 * (expectInvariants counts them).
 */
const DEVAUTH = '/api/management/v2/devauth';
const LIMIT_STEP = 10;

vi.setConfig({ testTimeout: RACE_TIMEOUT_MS });

const tag = () => randomBytes(4).toString('hex');
const knock = (identity: Record<string, unknown>): Req => {
  const r = authRequest(makeDeviceKeys('ed25519'), identity);
  return { method: r.method, path: r.url, raw: r.payload, headers: r.headers, auth: false };
};

describe.each(dialects())('device counts under races on %s (two serve processes)', (dialect) => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster(dialect);
  }, CLUSTER_TIMEOUT_MS);
  afterAll(() => c?.close(), 60_000);

  const accepted = () =>
    count(
      c.sql,
      sql`select count(*) as n from devices where tenant_id = ${DEFAULT_TENANT_ID} and status = 'accepted'`,
    );

  it('accepts up to max_devices and not one more, with decommissions and new devices in between', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const t = tag();
      // CONCURRENCY new pending devices, then room for LIMIT_STEP more accepted ones.
      expect(tally(await race(c, (i) => knock({ mac: `${t}-${i}` })))).toEqual({ 401: CONCURRENCY });
      const limit = (await accepted()) + LIMIT_STEP;
      await sql`update tenants set max_devices = ${limit} where id = ${DEFAULT_TENANT_ID}`.execute(c.sql);
      const sets = (
        await sql<{ id: string; device_id: string }>`select a.id, a.device_id from auth_sets a
          join devices d on d.id = a.device_id where d.id_data like ${`%${t}-%`} order by a.id`.execute(c.sql)
      ).rows;
      expect(sets).toHaveLength(CONCURRENCY);
      // Every fifth request decommissions one of the pending devices or admits a new one.
      const res = await race(c, (i) => {
        const s = sets[i] as { id: string; device_id: string };
        if (i % 5 === 4)
          return i % 2 === 0
            ? { method: 'DELETE', path: `${DEVAUTH}/devices/${s.device_id}` }
            : knock({ mac: `${t}-late-${i}` });
        return {
          method: 'PUT',
          path: `${DEVAUTH}/devices/${s.device_id}/auth/${s.id}/status`,
          body: { status: 'accepted' },
        };
      });
      const accepts = res.filter((_, i) => i % 5 !== 4);
      expect(tally(accepts)).toEqual({ 204: LIMIT_STEP, 422: accepts.length - LIMIT_STEP });
      expect(await accepted()).toBe(limit);
      const listed = await fetch(`${c.servers[round % 2]?.url}${DEVAUTH}/devices/count?status=accepted`, {
        headers: { authorization: `Bearer ${c.token}` },
      });
      expect(await listed.json()).toEqual({ count: limit });
      await expectInvariants(c);
    }
  });
});
