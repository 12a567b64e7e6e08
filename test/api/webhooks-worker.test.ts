import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { loadOrCreateMasterKey } from '../../src/core/master-key.js';
import { createSecretBox } from '../../src/core/secret-box.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import type { HttpSender, OutboundRequest } from '../../src/webhooks/index.js';
import { claimDue } from '../../src/webhooks/webhooks-repo-deliveries.js';
import { fanOutBatch } from '../../src/webhooks/webhooks-repo-fanout.js';
import { createWebhookWorker } from '../../src/webhooks/webhooks-worker.js';
import { type Gatehouse, openGatehouse } from '../../src/wiring.js';
import { manualClock } from '../helpers/clock.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { recordSyntheticEvent } from '../helpers/synthetic-events.js';

// The worker against the real store, with the two external edges faked: the clock and the
// HTTP sender (docs/principles.md#tests-use-real-components). Retry timing is driven by the
// clock, not by sleeping.
const FLAGS = {
  webhookSettleMs: '0',
  webhookRetryBaseMs: '1000',
  webhookRetryMaxMs: '8000',
  webhookMaxAttempts: '3',
  webhookTimeoutMs: '5000',
};

interface Sent {
  owner: string;
  eventId: string;
  type: string;
  deviceId: string | null;
  delivery: string;
}

/** A fake receiver: records each request and answers with `status()` after a short real delay. */
const fakeSender = (owner: string, sent: Sent[], status: () => number): HttpSender => {
  return async (req: OutboundRequest) => {
    const body = JSON.parse(req.body);
    sent.push({
      owner,
      eventId: body.id,
      type: body.type,
      deviceId: body.device_id,
      delivery: req.headers['x-gatehouse-delivery'] as string,
    });
    await new Promise((r) => setTimeout(r, 2));
    const code = status();
    return {
      statusCode: code,
      body: Buffer.alloc(0),
      truncated: false,
      error: null,
      timedOut: false,
      aborted: false,
      durationMs: 2,
    };
  };
};

describe.each(dialects())('webhook worker on %s', (dialect) => {
  let db: TestDatabase;
  const opened: Gatehouse[] = [];
  afterEach(async () => {
    for (const gh of opened.splice(0)) await gh.close();
    await db?.drop();
  });

  const open = async (
    clock: ReturnType<typeof manualClock>,
    send: HttpSender,
    flags: Record<string, string> = {},
  ) => {
    const config = loadConfig({ dataDir: db.dataDir, databaseUrl: db.url, ...FLAGS, ...flags }, {});
    const gh = await openGatehouse(config, { clock, webhookSender: send });
    opened.push(gh);
    return gh;
  };
  const subscribe = async (gh: Gatehouse, eventTypes = ['*']) =>
    (
      await gh.webhooks.subscriptions.create(DEFAULT_TENANT_ID, {
        url: 'https://hooks.example.com/gatehouse',
        eventTypes,
      })
    ).subscription;
  const events = async (
    gh: Gatehouse,
    clock: ReturnType<typeof manualClock>,
    list: [string | null, string][],
  ) => {
    for (const [deviceId, type] of list) {
      await recordSyntheticEvent(gh.store.db, {
        tenantId: DEFAULT_TENANT_ID,
        type: type as 'device.accepted',
        deviceId,
        payload: { n: 1 },
        nowMs: clock.nowMs(),
      });
    }
  };
  const outboxIds = async (gh: Gatehouse, deviceId: string) =>
    (
      await gh.store.db
        .selectFrom('events')
        .select('id')
        .where('device_id', '=', deviceId)
        .where('type', 'like', 'device.%')
        .orderBy('id')
        .execute()
    ).map((r) => r.id);

  it('two workers on one database send each delivery once, in order per device', async () => {
    db = await createTestDatabase(dialect);
    const clock = manualClock(1_800_000_000_000);
    const sent: Sent[] = [];
    const a = await open(
      clock,
      fakeSender('a', sent, () => 200),
    );
    // Two processes on PostgreSQL; on SQLite (one writer per file, and better-sqlite3 blocks the
    // thread while it waits for the lock) a second worker on the same store, with its own owner.
    const b =
      dialect === 'postgres'
        ? (
            await open(
              clock,
              fakeSender('b', sent, () => 204),
            )
          ).webhooks.worker
        : createWebhookWorker({
            store: a.store,
            clock,
            box: createSecretBox(loadOrCreateMasterKey(a.config.masterKeyFile)),
            send: fakeSender('b', sent, () => 204),
            onError: (e) => {
              throw e;
            },
            settings: {
              pollIntervalMs: 50,
              settleMs: 0,
              timeoutMs: 5000,
              leaseMs: 10_000,
              retry: { baseMs: 1000, maxMs: 8000, maxAttempts: 3, maxAgeMs: 86_400_000 },
              retentionMs: 86_400_000,
            },
          });
    const sub = await subscribe(a, ['device.*']);
    // More devices than one worker claims per round (16), so both get work.
    const devices = Array.from({ length: 40 }, (_, i) => `d${i}`);
    for (let i = 0; i < 3; i++)
      await events(
        a,
        clock,
        devices.map((d) => [d, i % 2 ? 'device.accepted' : 'device.rejected']),
      );
    await events(a, clock, [
      [null, 'device.token_revoked'],
      ['d1', 'artifact.uploaded'],
    ]);

    for (let round = 0; round < 20; round++) await Promise.all([a.webhooks.worker.runOnce(), b.runOnce()]);

    const deliveries = await a.webhooks.subscriptions.deliveries(DEFAULT_TENANT_ID, sub.id, {
      offset: 0,
      limit: 500,
    });
    expect(deliveries.total).toBe(121); // artifact.uploaded is not subscribed
    expect(deliveries.deliveries.every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(true);
    expect(sent).toHaveLength(121);
    expect(new Set(sent.map((s) => s.delivery)).size).toBe(121);
    expect(new Set(sent.map((s) => s.owner))).toEqual(new Set(['a', 'b']));
    for (const d of devices)
      expect(sent.filter((s) => s.deviceId === d).map((s) => s.eventId)).toEqual(await outboxIds(a, d));
  });

  it('backs off, gives up after the budget, holds later events of the device, and redelivers in order', async () => {
    db = await createTestDatabase(dialect);
    const clock = manualClock(1_800_000_000_000);
    const sent: Sent[] = [];
    let status = 500;
    const gh = await open(
      clock,
      fakeSender('w', sent, () => status),
    );
    const sub = await subscribe(gh, ['device.*']);
    await events(gh, clock, [
      ['dev', 'device.authset_pending'],
      ['dev', 'device.accepted'],
      ['other', 'device.accepted'],
    ]);
    const worker = gh.webhooks.worker;
    await worker.runOnce();
    // The first event of `dev` failed; `other` is not held back by it.
    expect(sent.map((s) => [s.deviceId, s.type])).toEqual([
      ['dev', 'device.authset_pending'],
      ['other', 'device.accepted'],
    ]);
    await worker.runOnce();
    expect(sent).toHaveLength(2); // nothing is due before the backoff has passed
    const log = async () =>
      (await gh.webhooks.subscriptions.deliveries(DEFAULT_TENANT_ID, sub.id, { offset: 0, limit: 10 }))
        .deliveries;
    const first = (await log()).find((d) => d.eventType === 'device.authset_pending');
    // base 1 s with equal jitter: the retry is between 0.5 and 1 s later.
    expect(first?.nextAttemptAt).toBeGreaterThanOrEqual(clock.nowMs() + 500);
    expect(first?.nextAttemptAt).toBeLessThanOrEqual(clock.nowMs() + 1000);

    for (let i = 0; i < 4; i++) {
      clock.advance(10_000);
      await worker.runOnce();
    }
    const afterBudget = await log();
    const byType = (t: string, d: string) => afterBudget.find((x) => x.eventType === t && x.deviceId === d);
    expect(byType('device.authset_pending', 'dev')).toMatchObject({
      status: 'failed',
      attempts: 3,
      lastStatusCode: 500,
    });
    expect(byType('device.authset_pending', 'dev')?.log.map((a) => a.error)).toEqual([
      'HTTP 500',
      'HTTP 500',
      'HTTP 500',
    ]);
    expect(byType('device.accepted', 'dev')).toMatchObject({ status: 'pending', attempts: 0 });
    expect(byType('device.accepted', 'other')).toMatchObject({ status: 'failed', attempts: 3 });

    status = 200;
    clock.advance(60_000);
    await worker.runOnce();
    expect(sent).toHaveLength(6); // still held: failed deliveries wait for a redelivery
    expect(await gh.webhooks.subscriptions.redeliverFailed(DEFAULT_TENANT_ID, sub.id)).toBe(2);
    await worker.runOnce();
    await worker.runOnce();
    const done = await log();
    expect(done.every((d) => d.status === 'delivered')).toBe(true);
    expect(sent.filter((s) => s.deviceId === 'dev').map((s) => s.eventId)).toEqual([
      ...Array(3).fill((await outboxIds(gh, 'dev'))[0]),
      ...(await outboxIds(gh, 'dev')),
    ]);
  });

  it('gives up by age as well, and a crashed worker’s lease runs out', async () => {
    db = await createTestDatabase(dialect);
    const clock = manualClock(1_800_000_000_000);
    const sent: Sent[] = [];
    const gh = await open(
      clock,
      fakeSender('w', sent, () => 200),
      { webhookMaxAgeSeconds: '60', webhookMaxAttempts: '100' },
    );
    const sub = await subscribe(gh, ['device.*']);
    await events(gh, clock, [['x', 'device.accepted']]);
    await gh.webhooks.worker.runOnce();
    expect(sent).toHaveLength(1);

    // Another process fans out and leases the next delivery, then dies without an answer.
    await events(gh, clock, [['z', 'device.rejected']]);
    await fanOutBatch(gh.store.db, { nowMs: clock.nowMs(), cutoffMs: clock.nowMs(), batchSize: 10 });
    const stolen = await claimDue(gh.store.db, {
      nowMs: clock.nowMs(),
      owner: 'dead',
      leaseMs: 30_000,
      limit: 10,
    });
    expect(stolen.map((d) => d.eventType)).toEqual(['device.rejected']);
    await gh.webhooks.worker.runOnce();
    expect(sent).toHaveLength(1); // leased elsewhere: not sent twice
    clock.advance(30_001);
    await gh.webhooks.worker.runOnce();
    expect(sent).toHaveLength(2); // the lease ran out: at least once
    expect(sent.at(-1)?.type).toBe('device.rejected');

    // Age budget: a receiver failing for longer than a minute fails the delivery.
    const failing = await open(
      clock,
      fakeSender('f', sent, () => 502),
      { webhookMaxAgeSeconds: '60', webhookMaxAttempts: '100' },
    );
    await gh.webhooks.subscriptions.update(DEFAULT_TENANT_ID, sub.id, { enabled: true });
    await events(gh, clock, [['q', 'device.accepted']]);
    for (let i = 0; i < 10; i++) {
      await failing.webhooks.worker.runOnce();
      clock.advance(9000);
    }
    const q = (
      await gh.webhooks.subscriptions.deliveries(DEFAULT_TENANT_ID, sub.id, { offset: 0, limit: 50 })
    ).deliveries.find((d) => d.deviceId === 'q');
    expect(q?.status).toBe('failed');
    expect(q?.attempts).toBeLessThan(100);
  });

  it('sends a disabled webhook nothing, and nothing of what happened while it was disabled', async () => {
    db = await createTestDatabase(dialect);
    const clock = manualClock(1_800_000_000_000);
    const sent: Sent[] = [];
    const gh = await open(
      clock,
      fakeSender('w', sent, () => 200),
    );
    const sub = await subscribe(gh, ['device.*']);
    await gh.webhooks.subscriptions.update(DEFAULT_TENANT_ID, sub.id, { enabled: false });
    await events(gh, clock, [['d', 'device.accepted']]);
    await gh.webhooks.worker.runOnce();
    await gh.webhooks.subscriptions.update(DEFAULT_TENANT_ID, sub.id, { enabled: true });
    await events(gh, clock, [['d', 'device.rejected']]);
    await gh.webhooks.worker.runOnce();
    // webhook.updated events carry no device; the subscription ('*') receives the second one.
    expect(sent.filter((s) => s.deviceId === 'd').map((s) => s.type)).toEqual(['device.rejected']);
  });
});
