import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { TestServer } from '../helpers/gatehouse.js';

// How the cross-tenant suites compare a foreign id with an unknown one: ids of the same shape,
// answers without their request id, and what a refused request must leave unchanged.

/** A random value of the same shape as `id`: a UUID for a UUID, hex of the same length for a serial, ... */
export const unknownLike = (id: string): string => {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return randomUUID();
  if (/^[0-9A-F]+$/.test(id)) {
    let s = '';
    while (s.length < id.length) s += randomBytes(16).toString('hex').toUpperCase();
    return `${'1'}${s.slice(1, id.length)}`;
  }
  const m = /^([a-z]+-)/.exec(id);
  return `${m ? m[1] : 'x-'}${randomBytes(6).toString('hex')}`.slice(0, Math.max(id.length, 8));
};

/**
 * Row count of every table, and a checksum of every row that belongs to `tenantId` (by its
 * tenant_id, or through its device, delivery or tenant) and of every global row: what a refused
 * request must leave exactly as it was.
 */
export const snapshot = async (t: TestServer, tenantId: string): Promise<Record<string, string>> => {
  const db = t.gh.store.db;
  // Check-in times and bootstrap fetch events are written behind: settle them first.
  await t.gh.devauth.checkIns.flush();
  await t.gh.bootstrap.flushEvents();
  const tables = (await db.introspection.getTables()).filter((x) => !x.name.startsWith('kysely_'));
  const out: Record<string, string> = {};
  for (const table of tables) {
    const name = table.name;
    const columns = table.columns.map((c) => c.name);
    // biome-ignore lint/suspicious/noExplicitAny: every table of the schema, read generically.
    const all = (await (db as any).selectFrom(name).selectAll().execute()) as Record<string, unknown>[];
    const belongs = await ownerFilter(t, name, columns, tenantId);
    const mine = all.filter(belongs).map((r) => JSON.stringify(r, Object.keys(r).sort()));
    out[name] =
      `${all.length} rows; ${mine.length} of the tenant; ` +
      createHash('sha256').update(mine.sort().join('\n')).digest('hex').slice(0, 16);
  }
  return out;
};

const ownerFilter = async (
  t: TestServer,
  table: string,
  columns: string[],
  tenantId: string,
): Promise<(r: Record<string, unknown>) => boolean> => {
  const db = t.gh.store.db;
  if (columns.includes('tenant_id')) return (r) => r.tenant_id === tenantId;
  if (table === 'tenants') return (r) => r.id === tenantId;
  if (table === 'inventory_digests') {
    const ids = new Set(
      (await db.selectFrom('devices').select('id').where('tenant_id', '=', tenantId).execute()).map(
        (r) => r.id,
      ),
    );
    return (r) => ids.has(r.device_id as string);
  }
  if (table === 'webhook_attempts') {
    const ids = new Set(
      (
        await db.selectFrom('webhook_deliveries').select('id').where('tenant_id', '=', tenantId).execute()
      ).map((r) => r.id),
    );
    return (r) => ids.has(r.delivery_id as string);
  }
  // Global tables (signing keys, the fan-out marker, bootstrap attempt counters): every row.
  return () => true;
};

/** Status, content type and body (request id dropped, the ids tried replaced by a placeholder). */
export const answer = (
  res: { statusCode: number; body: string; headers: Record<string, unknown> },
  ids: string[],
) => {
  let text = res.body;
  for (const id of ids) text = text.split(id).join('<id>');
  let body: unknown = text;
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) delete parsed.request_id;
    body = parsed;
  } catch {
    // not JSON: compared as text
  }
  return { status: res.statusCode, type: res.headers['content-type'], body };
};
