import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBuffer } from '../../src/bootstrap/bootstrap-event-buffer.js';
import { listEvents } from '../../src/events/index.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { dialects } from '../helpers/databases.js';
import { startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { recordSyntheticEvent } from '../helpers/synthetic-events.js';

describe.each(dialects())('outbox order on %s', (dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
  });
  afterAll(() => t.close());

  it('keeps a write-behind event where it happened, before events written while it waited', async () => {
    const buffer = createEventBuffer({
      db: t.gh.store.db,
      flushIntervalMs: 60_000,
      onError: (err) => t.gh.logger.error({ err }, 'event write failed'),
    });
    const deviceId = '00000000-0000-4000-8000-0000000000aa';
    buffer.add({
      tenantId: DEFAULT_TENANT_ID,
      type: 'bootstrap.fetched',
      deviceId,
      payload: { mode: 'plain', external_id: 'order-test', source: '127.0.0.1', client_id: 'order-test' },
      nowMs: Date.now(),
    });
    await recordSyntheticEvent(t.gh.store.db, {
      tenantId: DEFAULT_TENANT_ID,
      type: 'device.decommissioned',
      deviceId,
      nowMs: Date.now(),
    });
    await buffer.close();
    const events = await listEvents(t.gh.store.db, DEFAULT_TENANT_ID, { deviceId, limit: 10 });
    expect(events.map((e) => e.type)).toEqual(['bootstrap.fetched', 'device.decommissioned']);
  });
});
