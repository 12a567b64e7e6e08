import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFailureGuard, type FailureGuard, type FailurePolicy } from '../../src/limits/index.js';
import { dialects } from '../helpers/databases.js';
import { startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

const DAY_MS = 86_400_000;
const policy = (maxFailures: number): FailurePolicy => ({
  maxFailures,
  lockoutMs: 60_000,
  maxLockoutMs: 3_600_000,
  forgetAfterMs: DAY_MS,
});

describe.each(dialects())('failure counters in the database on %s', (dialect) => {
  let t: TestServer;
  let guard: FailureGuard;
  const rows = async (prefix: string) =>
    t.gh.store.db.selectFrom('failure_counters').selectAll().where('key', 'like', `${prefix}:%`).execute();
  const fail = async (keys: ReturnType<FailureGuard['keys']>, nowMs: number) => {
    const locked = await t.gh.store.db.transaction().execute((tx) => guard.recordFailure(tx, keys, nowMs));
    await guard.purge(nowMs);
    return locked;
  };

  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
    guard = createFailureGuard({
      store: t.gh.store,
      scope: 'test',
      policies: { pair: policy(1000), source: policy(1000), subject: policy(1000) },
    });
  });
  afterAll(() => t.close());

  it('loses no failure and deadlocks nowhere under concurrent failures on shared keys', async () => {
    const now = 1_000_000;
    // 40 failures at once: 4 subjects from 2 addresses, so every key is shared by several.
    const attempts = Array.from({ length: 40 }, (_, i) => guard.keys(`subject-${i % 4}`, `10.9.0.${i % 2}`));
    await Promise.all(attempts.map((k) => fail(k, now)));
    const byKey = new Map((await rows('test')).map((r) => [r.key, Number(r.failures)]));
    expect(byKey.get(guard.keys('x', '10.9.0.0').source)).toBe(20);
    expect(byKey.get(guard.keys('x', '10.9.0.1').source)).toBe(20);
    for (let s = 0; s < 4; s++) {
      expect(byKey.get(guard.keys(`subject-${s}`, '').subject)).toBe(10);
      expect(byKey.get(guard.keys(`subject-${s}`, `10.9.0.${s % 2}`).pair)).toBe(10);
    }
    expect(byKey.size).toBe(2 + 4 + 4);
  });

  it('keys subjects by hash and addresses (IPv6 by /64) in the clear, and purges quiet counters', async () => {
    const k = guard.keys('Someone@Example.com', '2001:db8:5:6:7::8');
    expect(k.source).toBe('test:source:2001:db8:5:6::/64');
    expect(k.subject).not.toContain('Someone');
    expect(k.pair).not.toContain('2001');
    expect(guard.keys('Someone@Example.com', '2001:db8:5:6:ffff::1')).toEqual(k);
    const now = 10 * DAY_MS;
    await fail(k, now);
    expect((await guard.check(k, now + 1)).known).toBe(true);
    // A failure more than a forget period later purges every counter quiet since (in this scope).
    const later = guard.keys('someone-else', '10.9.9.9');
    await fail(later, now + DAY_MS + 60_001);
    const left = (await rows('test')).map((r) => r.key).sort();
    expect(left).toEqual([later.pair, later.source, later.subject].sort());
  });
});
