import { afterEach, describe, expect, it } from 'vitest';
import { newOrderedId } from '../../src/core/ids.js';
import { openStore, type Store } from '../../src/store/store.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { holdDatabase } from '../helpers/hold-database.js';
import { between, seededRandom, testSeed } from '../helpers/seeded.js';
import { recordSyntheticEvents } from '../helpers/synthetic-events.js';
import { eventually, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { adminTokenViaCli, type GatehouseProcess, spawnGatehouse } from './helpers/gatehouse-process.js';

/**
 * Webhook delivery survives SIGKILL (docs/adr/0010-webhook-delivery.md, "Leases"): real
 * `gatehouse serve` processes deliver a backlog to a slow local receiver; the delivering process
 * is killed at a random point (seeded, printed) while it holds leases, and restarted (on
 * PostgreSQL a second process runs throughout and takes over first). The deliveries the dead
 * process held are sent again within the documented bound (one lease plus one poll interval,
 * counted from the moment a live process can take them), every event arrives, and each device's
 * events arrive in outbox order (a repeat of an event may arrive, never an earlier one late).
 */
const LEASE_MS = 3000;
const POLL_MS = 100;
const ANSWER_MS = 150;
/** Room for a loaded CI machine on top of the bound (a deadline, not a measurement). */
const SLACK_MS = 5000;
const DEVICES = 20;
const EVENTS_PER_DEVICE = 12;
const FLAGS = [
  '--webhook-allow-private-targets',
  'true',
  '--webhook-lease-ms',
  String(LEASE_MS),
  '--webhook-poll-interval-ms',
  String(POLL_MS),
  '--webhook-settle-ms',
  '200',
];

interface Arrival {
  at: number;
  eventId: string;
  deviceId: string;
}

describe.each(dialects())('kill -9 with a webhook backlog on %s', (dialect) => {
  let db: TestDatabase | undefined;
  let store: Store | undefined;
  let receiver: WebhookReceiver | undefined;
  let hold: Awaited<ReturnType<typeof holdDatabase>> | undefined;
  const processes: GatehouseProcess[] = [];
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.stop();
    await receiver?.close();
    await store?.destroy();
    await hold?.release();
    await db?.drop();
  });

  it('every event is delivered, in order per device; the dead process’s deliveries within the bound', async () => {
    const random = seededRandom(testSeed(`crash-webhooks on ${dialect}`));
    const total = DEVICES * EVENTS_PER_DEVICE;
    const killAfter = between(random, Math.floor(total * 0.15), Math.floor(total * 0.6));
    db = await createTestDatabase(dialect);
    hold = await holdDatabase(db);
    store = openStore({ databaseUrl: db.url });
    const arrivals: Arrival[] = [];
    // While `held` is set, answers wait: no delivery in flight can be recorded, so a lease seen
    // in the database is still held when the process is killed a moment later.
    let held: { promise: Promise<void>; open: () => void } | undefined;
    const holdAnswers = () => {
      let open = () => {};
      const promise = new Promise<void>((r) => {
        open = r;
      });
      held = { promise, open };
    };
    const releaseAnswers = () => {
      held?.open();
      held = undefined;
    };
    receiver = await startWebhookReceiver({
      respond: async (r) => {
        arrivals.push({ at: Date.now(), eventId: r.json.id, deviceId: r.json.device_id });
        await new Promise((done) => setTimeout(done, ANSWER_MS));
        await held?.promise;
        return { status: 204 };
      },
    });
    const spawn = async () => {
      const p = await spawnGatehouse(db as TestDatabase, FLAGS);
      processes.push(p);
      return p;
    };
    const a = await spawn();
    const b = dialect === 'postgres' ? await spawn() : undefined;
    const token = await adminTokenViaCli(db, a.url);
    const hook = await fetch(`${a.url}/api/management/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${receiver.url}/hook`, event_types: ['device.*'] }),
    });
    expect(hook.status, await hook.clone().text()).toBe(201);

    // The backlog, straight into the outbox (as the domains write it), devices interleaved.
    await new Promise((r) => setTimeout(r, 5));
    const events = [];
    for (let n = 0; n < EVENTS_PER_DEVICE; n++)
      for (let d = 0; d < DEVICES; d++) {
        const nowMs = Date.now();
        events.push({
          id: newOrderedId(nowMs),
          tenantId: DEFAULT_TENANT_ID,
          type: 'device.accepted' as const,
          deviceId: `dev-${d}`,
          payload: { n },
          nowMs,
        });
      }
    await recordSyntheticEvents(store.db, events);

    await eventually(`${killAfter} deliveries`, () => arrivals.length >= killAfter, 60_000);
    // What the process to kill holds: leased, not yet recorded.
    const leasedBy = async (pid: number | undefined) =>
      (
        await (store as Store).db
          .selectFrom('webhook_deliveries')
          .select(['event_id', 'lease_owner'])
          .where('status', '=', 'pending')
          .where('lease_owner', 'is not', null)
          .execute()
      )
        .filter((d) => d.lease_owner?.includes(`:${pid}:`))
        .map((d) => d.event_id);
    // Kill it while it holds leases: hold every answer, and wait (bounded) until it has leased
    // something; on PostgreSQL the other process may hold every device's next event for a while,
    // so answers flow again between tries.
    let orphans: string[] = [];
    for (let attempt = 0; attempt < 40 && orphans.length === 0; attempt++) {
      holdAnswers();
      const until = Date.now() + 1000;
      while (Date.now() < until && orphans.length === 0) {
        orphans = await leasedBy(a.child.pid);
        if (orphans.length === 0) await new Promise((r) => setTimeout(r, 25));
      }
      if (orphans.length === 0) {
        releaseAnswers();
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(orphans.length, 'the process to kill never held a lease').toBeGreaterThan(0);
    a.child.kill('SIGKILL');
    await new Promise((r) => a.child.once('exit', r));
    const killedAt = Date.now();
    releaseAnswers();
    // Everything the dead process held (it may have leased more between the look and the kill).
    orphans = await leasedBy(a.child.pid);

    // On PostgreSQL the other process takes over; on SQLite the restarted one does.
    const restarted = await spawn();
    const liveSince = b ? killedAt : Date.now();
    const bound = LEASE_MS + POLL_MS;
    const resent = (id: string) => arrivals.find((x) => x.eventId === id && x.at >= killedAt);
    await eventually(
      `the dead process's ${orphans.length} deliveries, sent again`,
      () => orphans.every((id) => resent(id)),
      liveSince + bound + ANSWER_MS + SLACK_MS - Date.now(),
    );
    // A restarted process may resend before it answers its health check: counted as 0.
    const takeoverMs = Math.max(0, ...orphans.map((id) => (resent(id)?.at ?? 0) - liveSince));

    await eventually('every event', () => new Set(arrivals.map((x) => x.eventId)).size === total, 60_000);
    const drainedMs = Date.now() - liveSince;
    console.log(
      `crash-webhooks on ${dialect}: killed after ${killAfter} of ${total} deliveries holding ${orphans.length} leases; taken over ${takeoverMs} ms after a live process could (bound ${bound} ms); backlog drained ${drainedMs} ms after`,
    );
    expect(restarted.child.exitCode).toBeNull();
    for (let d = 0; d < DEVICES; d++) {
      const seq = arrivals.filter((x) => x.deviceId === `dev-${d}`).map((x) => x.eventId);
      const expected = events.filter((e) => e.deviceId === `dev-${d}`).map((e) => e.id);
      // In outbox order; a repeat (at least once) may only follow its own first copy directly.
      expect(seq.filter((id, i) => id !== seq[i - 1])).toEqual(expected);
    }
    await eventually('every delivery recorded as delivered', async () => {
      const pending = await (store as Store).db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('status', '!=', 'delivered')
        .execute();
      return pending.length === 0;
    });
  }, 180_000);
});
