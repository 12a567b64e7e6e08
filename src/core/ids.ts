import { randomFillSync, randomUUID } from 'node:crypto';

/** Random UUIDv4, the id format Mender uses for devices, auth sets, users and tokens. */
export const newId = (): string => randomUUID();

let lastMs = 0;
let seq = 0;

// Random bytes drawn 4 KiB at a time (as randomUUID does): a call into the CSPRNG per id cost
// most of an id. Each id copies its 16 bytes out before the pool is refilled.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
const idBytes = Buffer.alloc(16);

/**
 * Time-ordered UUIDv7 (RFC 9562). Used where insertion order matters (the event outbox), so
 * that ordering by id is ordering by creation within a process; a 12-bit counter keeps ids
 * created in the same millisecond in order.
 */
export const newOrderedId = (nowMs: number = Date.now()): string => {
  if (nowMs <= lastMs) {
    seq = (seq + 1) & 0xfff;
    if (seq === 0) lastMs += 1;
    nowMs = lastMs;
  } else {
    lastMs = nowMs;
    seq = 0;
  }
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const b = idBytes;
  pool.copy(b, 0, poolAt, poolAt + 16);
  poolAt += 16;
  b.writeUIntBE(nowMs, 0, 6);
  b[6] = 0x70 | (seq >> 8);
  b[7] = seq & 0xff;
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID_RE.test(s);

/**
 * The smallest UUIDv7 (newOrderedId) of millisecond `ms`: `id >= orderedIdFloor(t)` selects the
 * ids made at or after `t`, as a range on an index of ids.
 */
export const orderedIdFloor = (ms: number): string => {
  const h = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-0000-0000-000000000000`;
};
