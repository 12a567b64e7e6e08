import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { systemClock } from '../../src/core/clock.js';
import { loadOrCreateMasterKey } from '../../src/core/master-key.js';
import { createSecretBox } from '../../src/core/secret-box.js';
import { openStore } from '../../src/store/store.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import type { HttpSender, OutboundRequest, OutboundResult } from '../../src/webhooks/index.js';
import { createLeaseKeeper } from '../../src/webhooks/webhooks-leases.js';
import { createWebhookWorker } from '../../src/webhooks/webhooks-worker.js';
import { type Gatehouse, openGatehouse } from '../../src/wiring.js';
import { manualClock } from '../helpers/clock.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { recordSyntheticEvent } from '../helpers/synthetic-events.js';
import { eventually } from '../helpers/webhook-receiver.js';

// Short leases renewed while a request runs (docs/adr/0010-webhook-delivery.md, "Leases"), on
// the real store and the real clock: a slow live request keeps its lease; a lease that is lost
// or can no longer be renewed stops the request, so a takeover never overlaps a live send.
const LEASE_MS = 2000;

interface Held {
  owner: string;
  signal: AbortSignal | undefined;
  finish(status: number): void;
}

/** A sender whose requests wait for the test (or their signal), like a slow receiver. */
const heldSender = (owner: string, held: Held[]): HttpSender => {
  return (req: OutboundRequest) =>
    new Promise<OutboundResult>((resolve) => {
      const result = (statusCode: number | null, aborted: boolean): OutboundResult => ({
        statusCode,
        body: Buffer.alloc(0),
        truncated: false,
        error: aborted ? 'aborted' : null,
        timedOut: false,
        aborted,
        durationMs: 0,
      });
      req.signal?.addEventListener('abort', () => resolve(result(null, true)), { once: true });
      held.push({ owner, signal: req.signal, finish: (s) => resolve(result(s, false)) });
    });
};

describe.each(dialects())('webhook leases on %s', (dialect) => {
  let db: TestDatabase;
  const opened: Gatehouse[] = [];
  afterEach(async () => {
    for (const gh of opened.splice(0)) await gh.close();
    await db?.drop();
  });

  const setup = async () => {
    db = await createTestDatabase(dialect);
    const config = loadConfig(
      {
        dataDir: db.dataDir,
        databaseUrl: db.url,
        webhookSettleMs: '0',
        webhookLeaseMs: String(LEASE_MS),
        webhookTimeoutMs: '20000',
      },
      {},
    );
    const held: Held[] = [];
    const gh = await openGatehouse(config, { webhookSender: heldSender('a', held) });
    opened.push(gh);
    await gh.webhooks.subscriptions.create(DEFAULT_TENANT_ID, {
      url: 'https://hooks.example.com/gatehouse',
      eventTypes: ['device.*'],
    });
    // Webhooks receive the events created after them.
    await new Promise((r) => setTimeout(r, 5));
    await recordSyntheticEvent(gh.store.db, {
      tenantId: DEFAULT_TENANT_ID,
      type: 'device.accepted',
      deviceId: 'dev-1',
      nowMs: Date.now(),
    });
    // A second worker on the same store, as another process would be.
    const other = createWebhookWorker({
      store: gh.store,
      clock: systemClock,
      box: createSecretBox(loadOrCreateMasterKey(config.masterKeyFile)),
      send: heldSender('b', held),
      onError: () => {},
      settings: {
        pollIntervalMs: 50,
        settleMs: 0,
        timeoutMs: 20_000,
        leaseMs: LEASE_MS,
        retry: { baseMs: 1000, maxMs: 8000, maxAttempts: 3, maxAgeMs: 86_400_000 },
        retentionMs: 86_400_000,
      },
    });
    return { gh, held, other };
  };
  const delivery = async (gh: Gatehouse) =>
    gh.store.db.selectFrom('webhook_deliveries').selectAll().executeTakeFirstOrThrow();

  it('keeps the lease of a request slower than the lease, and delivers once', async () => {
    const { gh, held, other } = await setup();
    const round = gh.webhooks.worker.runOnce();
    await eventually('the request', () => held.length === 1);
    // Three leases long: the other worker keeps looking, and never gets the delivery.
    const until = Date.now() + 3 * LEASE_MS;
    while (Date.now() < until) {
      await other.runOnce();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(held.map((h) => h.owner)).toEqual(['a']);
    expect(held[0]?.signal?.aborted).toBe(false);
    held[0]?.finish(204);
    await round;
    expect(await delivery(gh)).toMatchObject({ status: 'delivered', lease_owner: null });
  });

  it('stops a request whose lease was taken over, and records nothing for it', async () => {
    const { gh, held, other } = await setup();
    const round = gh.webhooks.worker.runOnce();
    await eventually('the request', () => held.length === 1);
    // What a takeover does after a lease ran out: another owner holds the row.
    await gh.store.db
      .updateTable('webhook_deliveries')
      .set({ lease_owner: 'thief', lease_until: Date.now() + 60_000 })
      .execute();
    await eventually('the abort', () => held[0]?.signal?.aborted === true, 3 * LEASE_MS);
    await round;
    expect(await delivery(gh)).toMatchObject({ status: 'pending', attempts: 0, lease_owner: 'thief' });
    // Once the thief's lease is gone, the delivery is taken over and sent again: at least once.
    await gh.store.db
      .updateTable('webhook_deliveries')
      .set({ lease_until: Date.now() - 1 })
      .execute();
    const again = other.runOnce();
    await eventually('the second request', () => held.length === 2);
    held[1]?.finish(200);
    await again;
    expect(await delivery(gh)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('a slow delivery does not keep the polling worker from claiming what falls due meanwhile', async () => {
    const { gh, held } = await setup();
    gh.webhooks.worker.start();
    await eventually('the slow request', () => held.length === 1);
    // Due now, for another device: e.g. a dead process's delivery whose lease just ran out.
    await recordSyntheticEvent(gh.store.db, {
      tenantId: DEFAULT_TENANT_ID,
      type: 'device.accepted',
      deviceId: 'dev-2',
      nowMs: Date.now(),
    });
    await eventually('the second request, the first still in flight', () => held.length === 2, 3 * LEASE_MS);
    expect(held[0]?.signal?.aborted).toBe(false);
    for (const h of held) h.finish(204);
    await eventually('both delivered', async () => {
      const rows = await gh.store.db.selectFrom('webhook_deliveries').select('status').execute();
      return rows.length === 2 && rows.every((r) => r.status === 'delivered');
    });
  });

  it('lets a lease go before it can run out when the database stops answering', async () => {
    db = await createTestDatabase(dialect);
    const store = openStore({ databaseUrl: db.url });
    await store.destroy();
    const errors: unknown[] = [];
    const clock = manualClock();
    const keeper = createLeaseKeeper({
      db: store.db,
      clock,
      owner: 'w',
      leaseMs: LEASE_MS,
      onError: (e) => errors.push(e),
    });
    const until = clock.nowMs() + LEASE_MS;
    const signal = keeper.hold('d-1', until);
    await eventually('a failed renewal', () => errors.length > 0, 3 * LEASE_MS);
    expect(signal.aborted).toBe(false); // the lease is still good for two renewal periods
    // One renewal period before the lease ends, it is let go: nobody can have taken it over yet.
    clock.advance(LEASE_MS - Math.floor(LEASE_MS / 3));
    await eventually('the abort', () => signal.aborted, 3 * LEASE_MS);
    expect(clock.nowMs()).toBeLessThan(until);
    keeper.release('d-1');
  });
});
